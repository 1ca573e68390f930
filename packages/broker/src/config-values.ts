/** How each kind of broker option parses its raw value (a flag, an env string or a JSON value). */
import { ErrorCode, fail, ok, type Result } from '@tributary/protocol'
import { parseHostPort, parseNamedUrls, parseVoters, parseWsUrl } from './config-addresses.js'
import type { BrokerConfig } from './config.js'

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'

export type TlsClientAuth = 'required' | 'requested' | 'none'
const TLS_CLIENT_AUTH: readonly TlsClientAuth[] = ['required', 'requested', 'none']

/** Client mechanisms --sasl-mechanisms may name. */
export const CLIENT_SASL_MECHANISMS: readonly string[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN', 'OAUTHBEARER']

export type OptionKind = 'int' | 'string' | 'url' | 'voters' | 'loglevel' | 'nullable-string' | 'named-urls' | 'tls-client-auth' | 'host-port' | 'sasl-mechanisms' | 'bool' | 'principals' | 'authorizer'

/** One row of the option table: its flag, its env twin, how its value parses, its default. */
export interface OptionSpec {
  key: keyof BrokerConfig
  flag: string
  env: string
  kind: OptionKind
  describe: string
  /** undefined = required */
  default?: unknown
  min?: number
  max?: number
}

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']

/** One option's raw value (flag, env string or JSON) as its kind says, or why not. */
export function parseValue(spec: OptionSpec, raw: unknown): Result<unknown> {
  switch (spec.kind) {
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN
      if (!Number.isSafeInteger(n)) return fail(ErrorCode.INVALID_CONFIG, `'${String(raw)}' is not an integer`)
      if (spec.min !== undefined && n < spec.min) return fail(ErrorCode.INVALID_CONFIG, `${n} is below the minimum ${spec.min}`)
      if (spec.max !== undefined && n > spec.max) return fail(ErrorCode.INVALID_CONFIG, `${n} is above the maximum ${spec.max}`)
      return ok(n)
    }
    case 'string':
      if (typeof raw !== 'string' || raw === '') return fail(ErrorCode.INVALID_CONFIG, 'must be a non-empty string')
      return ok(raw)
    case 'nullable-string':
      if (raw === null || raw === '') return ok(null)
      if (typeof raw !== 'string') return fail(ErrorCode.INVALID_CONFIG, 'must be a string')
      return ok(raw)
    case 'url':
      if (typeof raw !== 'string') return fail(ErrorCode.INVALID_CONFIG, 'must be a ws:// URL')
      return parseWsUrl(raw)
    case 'voters':
      if (Array.isArray(raw)) return parseVoters(raw.map((v) => (typeof v === 'string' ? v : `${v?.nodeId}@${v?.endpoint}`)).join(','))
      if (typeof raw !== 'string') return fail(ErrorCode.INVALID_CONFIG, 'must be id@ws://host:port,...')
      return parseVoters(raw)
    case 'named-urls':
      if (Array.isArray(raw)) return parseNamedUrls(raw.map((v) => (typeof v === 'string' ? v : `${v?.name}=${v?.endpoint}`)).join(','))
      if (typeof raw !== 'string') return fail(ErrorCode.INVALID_CONFIG, 'must be name=ws://host:port,...')
      return parseNamedUrls(raw)
    case 'tls-client-auth':
      if (!TLS_CLIENT_AUTH.includes(raw as TlsClientAuth)) return fail(ErrorCode.INVALID_CONFIG, `'${String(raw)}' is not one of ${TLS_CLIENT_AUTH.join('|')}`)
      return ok(raw)
    case 'host-port':
      if (raw === null || raw === '') return ok(null)
      if (typeof raw !== 'string') return fail(ErrorCode.INVALID_CONFIG, 'must be host:port')
      return parseHostPort(raw)
    case 'sasl-mechanisms': {
      const names = (Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [null]).map((n) => (typeof n === 'string' ? n.trim().toUpperCase() : n))
      const bad = names.find((n) => typeof n !== 'string' || (n !== '' && !CLIENT_SASL_MECHANISMS.includes(n)))
      if (bad !== undefined) return fail(ErrorCode.INVALID_CONFIG, `'${String(bad)}' is not one of ${CLIENT_SASL_MECHANISMS.join(', ').toLowerCase()}`)
      return ok([...new Set(names.filter((n) => n !== ''))])
    }
    case 'bool':
      if (raw === true || raw === 'true' || raw === '1') return ok(true)
      if (raw === false || raw === 'false' || raw === '0' || raw === '') return ok(false)
      return fail(ErrorCode.INVALID_CONFIG, `'${String(raw)}' is not true or false`)
    case 'principals': {
      const list = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',').map((x) => x.trim()).filter(Boolean) : null
      if (!list) return fail(ErrorCode.INVALID_CONFIG, 'must be User:name,...')
      const badOne = list.find((p) => !/^[A-Za-z]+:.+$/.test(p))
      if (badOne !== undefined) return fail(ErrorCode.INVALID_CONFIG, `'${badOne}' is not a principal like User:alice`)
      return ok(list)
    }
    case 'authorizer':
      if (raw !== 'none' && raw !== 'acl') return fail(ErrorCode.INVALID_CONFIG, `'${String(raw)}' is not none or acl`)
      return ok(raw)
    case 'loglevel':
      if (!LOG_LEVELS.includes(raw as LogLevel)) return fail(ErrorCode.INVALID_CONFIG, `'${String(raw)}' is not one of ${LOG_LEVELS.join('|')}`)
      return ok(raw)
  }
}
