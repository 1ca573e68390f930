/**
 * `tributary consume TOPIC`: print records as they arrive, like
 * kafka-console-consumer. Follows by default; stops on Ctrl-C/SIGTERM, after
 * --max-messages, or once no record has arrived for --timeout-ms (Kafka's
 * console consumer flag; --timeout stays the request timeout). With --group it
 * joins that consumer group (and commits); without, it reads every partition
 * (or just --partition) without committing.
 */
import type { Argv } from 'yargs'
import { text, type ConsumedMessage } from '@tributary/client'
import { checkPartition, nonNegativeInt, positiveInt } from '../args.js'
import { args, REQUIRED } from '../command-args.js'
import { clientFor } from '../connect.js'
import { UsageError } from '../errors.js'
import { isoTime, jsonReplacer, println } from '../io.js'
import { aborted, runCommand, type Ctx, type Runtime } from '../runtime.js'

interface ConsumeArgs {
  topic: string
  group?: string
  fromBeginning: boolean
  partition?: string
  offset?: string
  maxMessages?: string
  timeoutMs?: string
  format?: string
  printKey: boolean
  keySeparator: string
}

export function consumeCommand(y: Argv, rt: Runtime): Argv {
  return y.command('consume <topic>', 'print records as they arrive (Ctrl-C stops)', args({ topic: REQUIRED }, {
    group: { alias: 'g', type: 'string', describe: 'join this consumer group and commit offsets' },
    'from-beginning': { type: 'boolean', default: false, describe: 'start at the log start when there is no committed offset' },
    partition: { alias: 'p', type: 'string', describe: 'read only this partition (not with --group)' },
    offset: { type: 'string', describe: 'with --partition: start at this offset' },
    'max-messages': { alias: 'n', type: 'string', describe: 'exit after this many records' },
    'timeout-ms': { type: 'string', describe: 'exit once no record has arrived for this many ms (as kafka-console-consumer)' },
    format: { choices: ['value', 'json'], describe: 'value: the value as text (default); json: one object per record (also --json)' },
    'print-key': { type: 'boolean', default: false, describe: 'value format: print key, separator, value' },
    'key-separator': { type: 'string', default: '\t', describe: 'separator for --print-key' },
  }), runCommand<ConsumeArgs>(rt, consume))
}

export function formatRecord(m: ConsumedMessage, format: 'value' | 'json', printKey: boolean, sep: string): string {
  if (format === 'json') {
    const headers = Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, text(v)]))
    return JSON.stringify({ topic: m.topic, partition: m.partition, offset: m.offset, timestamp: isoTime(m.timestamp), key: text(m.key), value: text(m.value), headers }, jsonReplacer)
  }
  const value = text(m.value) ?? 'null'
  return printKey ? `${text(m.key) ?? 'null'}${sep}${value}` : value
}

async function consume(a: ConsumeArgs, ctx: Ctx): Promise<void> {
  const format = (a.format ?? (ctx.json ? 'json' : 'value')) as 'value' | 'json'
  const max = a.maxMessages === undefined ? Infinity : positiveInt('max-messages', a.maxMessages)
  const partition = a.partition === undefined ? undefined : nonNegativeInt('partition', a.partition)
  const offset = a.offset === undefined ? undefined : nonNegativeInt('offset', a.offset)
  const idleMs = a.timeoutMs === undefined ? undefined : positiveInt('timeout-ms', a.timeoutMs)
  if (a.group !== undefined && partition !== undefined) throw new UsageError('--partition reads without a group; drop --group or --partition')
  if (offset !== undefined && partition === undefined) throw new UsageError('--offset needs --partition')

  const client = clientFor(ctx, { clientId: 'tributary-console-consumer' })
  // Fail fast and plainly on a topic that does not exist (a group member would wait for it).
  const topic = await client.admin().describeTopic(a.topic)
  if (partition !== undefined) checkPartition(a.topic, topic.partitions.map((p) => p.partition), partition)
  const consumer = client.consumer({ groupId: a.group, fromBeginning: a.fromBeginning })
  ctx.defer(() => consumer.disconnect())
  if (partition !== undefined) consumer.assign([{ topic: a.topic, partition, offset }])
  else await consumer.subscribe({ topics: [a.topic], fromBeginning: a.fromBeginning })

  let crashed: unknown
  consumer.on('crash', (e: { error?: unknown } | unknown) => (crashed = (e as { error?: unknown })?.error ?? e))
  const it = consumer[Symbol.asyncIterator]()
  const stop = aborted(ctx.signal).then(() => ({ done: true as const, value: undefined }))
  let count = 0
  // One pending next() at a time, kept across idle-timer rounds; never one beyond --max-messages.
  let next: ReturnType<typeof it.next> | undefined
  while (count < max) {
    next ??= it.next()
    const idle = idleMs === undefined ? undefined : idleTimer(idleMs)
    const r = await Promise.race([next, stop, ...(idle ? [idle.done] : [])]).finally(() => idle?.cancel())
    if (r.done) break
    next = undefined
    println(ctx.io, formatRecord(r.value, format, a.printKey, a.keySeparator))
    count++
  }
  await it.return?.()
  if (crashed) throw crashed
  if (!ctx.json && a.maxMessages !== undefined && ctx.io.stderr.isTTY) ctx.io.stderr.write(`Processed ${count} messages\n`)
}

/** Resolves as a finished iteration after `ms` unless cancelled: --timeout-ms ends an idle consume. */
function idleTimer(ms: number): { done: Promise<{ done: true; value: undefined }>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined
  const done = new Promise<{ done: true; value: undefined }>((resolve) => (timer = setTimeout(() => resolve({ done: true, value: undefined }), ms)))
  return { done, cancel: () => clearTimeout(timer) }
}
