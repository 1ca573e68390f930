/**
 * AlterConfigs on a BROKER resource: the dynamic broker configs
 * (broker-dynamic-config.ts) of one broker, or of every broker (name ''). The
 * resource's changes commit together or not at all; deleting a setting that is
 * not set writes nothing.
 */
import { ErrorCode, type AlterConfigsRequest } from '@tributary/protocol'
import { brokerResourceProblem, DYNAMIC_BROKER_CONFIGS, validateBrokerConfig } from '../broker-dynamic-config.js'
import type { MetadataImage } from '../metadata/image-types.js'
import type { ConfigRecord } from '../metadata/records.js'

type Resource = AlterConfigsRequest['resources'][number]

/** The records of one broker resource's changes, or why it is refused (INVALID_CONFIG). */
export function planBrokerConfigs(image: MetadataImage, { name, configs }: Resource): { ok: true; records: ConfigRecord[] } | { ok: false; errorCode: number; message: string } {
  const resourceProblem = brokerResourceProblem(name)
  if (resourceProblem) return { ok: false, errorCode: ErrorCode.INVALID_CONFIG, message: resourceProblem }
  const current = image.brokerConfigs.get(name) ?? {}
  const records: ConfigRecord[] = []
  for (const c of configs) {
    if (c.op === 'delete') {
      if (!DYNAMIC_BROKER_CONFIGS.has(c.name)) return { ok: false, errorCode: ErrorCode.INVALID_CONFIG, message: validateBrokerConfig(c.name, '')! }
      if (current[c.name] !== undefined) records.push({ type: 'Config', version: 0, resourceType: 'broker', name, key: c.name, value: null })
      continue
    }
    const problem = validateBrokerConfig(c.name, c.value)
    if (problem) return { ok: false, errorCode: ErrorCode.INVALID_CONFIG, message: problem }
    records.push({ type: 'Config', version: 0, resourceType: 'broker', name, key: c.name, value: (c.value as string).trim() })
  }
  return { ok: true, records }
}
