/**
 * `tributary produce TOPIC`: one record per stdin line, like
 * kafka-console-producer. `--key-separator` splits key from value at its first
 * occurrence; `--headers k=v,...` go on every record.
 *
 * A line that fails (too large for the topic's max.message.bytes, refused by
 * the cluster) stops the reading: the error names the line and says how many
 * lines were written, so nothing after it is lost without a word.
 */
import { createInterface } from 'node:readline'
import type { Argv } from 'yargs'
import type { Admin } from '@tributary/client'
import { BATCH_HEADER_BYTES } from '@tributary/protocol'
import { checkPartition, nonNegativeInt, parseAcks, parseBytes, parseKeyValues, splitKeyValue } from '../args.js'
import { args, REQUIRED } from '../command-args.js'
import { clientFor } from '../connect.js'
import { CliError } from '../errors.js'
import { printJson } from '../io.js'
import { runCommand, type Ctx, type Runtime } from '../runtime.js'

/** Sends awaiting acknowledgement at once; reading stdin pauses beyond it. */
export const PRODUCE_PENDING_MAX = 1024
/**
 * A lone record's own bytes beyond key, value and headers, at most: length, key
 * and value lengths up to 5-byte varints, attributes, zero deltas, header count.
 */
const RECORD_OVERHEAD_BYTES_MAX = 21
/** Per header: its key and value lengths (varints). */
const HEADER_OVERHEAD_BYTES_MAX = 10

/**
 * A line's record as one batch on the wire, counted in UTF-8 bytes with the
 * varints at their largest: never below what the broker measures against
 * max.message.bytes (nor below the client's estimate), so a line too large is
 * refused here, before it is sent, and not by the broker after the lines behind it.
 */
export function batchBytesOf(key: string | null, value: string, headers: Record<string, string>): number {
  let bytes = BATCH_HEADER_BYTES + RECORD_OVERHEAD_BYTES_MAX + Buffer.byteLength(value) + (key === null ? 0 : Buffer.byteLength(key))
  for (const [k, v] of Object.entries(headers)) bytes += HEADER_OVERHEAD_BYTES_MAX + Buffer.byteLength(k) + Buffer.byteLength(v)
  return bytes
}

interface ProduceArgs {
  topic: string
  keySeparator?: string
  headers?: string[]
  acks: string
  partition?: string
  lingerMs: string
  maxMessageBytes?: string
}

export function produceCommand(y: Argv, rt: Runtime): Argv {
  return y.command('produce <topic>', 'send stdin lines as records (one per line)', args({ topic: REQUIRED }, {
    'key-separator': { alias: 'K', type: 'string', describe: 'split each line into key and value at the first occurrence' },
    headers: { alias: 'H', type: 'string', array: true, describe: 'headers on every record: k=v,k2=v2' },
    acks: { type: 'string', default: 'all', describe: '0, 1 or all' },
    partition: { alias: 'p', type: 'string', describe: 'send every record to this partition' },
    'linger-ms': { type: 'string', default: '5', describe: 'how long a batch waits for more records' },
    'max-message-bytes': { type: 'string', describe: 'largest record batch to send (default: the topic\'s max.message.bytes)' },
  }), runCommand<ProduceArgs>(rt, produce))
}

/** Where the size limit comes from, for the message that cites it. */
interface SizeLimit { bytes: number | undefined; source: string }

async function sizeLimit(admin: Admin, topic: string, flag: string | undefined): Promise<SizeLimit> {
  if (flag !== undefined) return { bytes: parseBytes('max-message-bytes', flag), source: '--max-message-bytes' }
  const [r] = await admin.describeConfigs({ resources: [{ type: 'topic', name: topic, names: ['max.message.bytes'] }] })
  const value = Number(r?.configs.find((c) => c.name === 'max.message.bytes')?.value)
  return Number.isSafeInteger(value) && value > 0 ? { bytes: value, source: `max.message.bytes of ${topic}` } : { bytes: undefined, source: 'the producer\'s maxMessageBytes' }
}

/** The client's wording (`messages[0] is about 2079 bytes, over maxMessageBytes 1024`) in the terms of one line. */
function lineError(line: number, err: unknown, limit: SizeLimit): string {
  const message = (err as { message?: unknown })?.message
  const text = typeof message === 'string' ? message.split('\n')[0]! : String(err)
  return `line ${line}: ${text.replace(/messages\[\d+\] /, 'the record ').replace(/over maxMessageBytes (\d+)/, `over $1 (${limit.source})`)}`
}

async function produce(a: ProduceArgs, ctx: Ctx): Promise<void> {
  const acks = parseAcks(a.acks)
  const headers = parseKeyValues('headers', a.headers)
  const partition = a.partition === undefined ? undefined : nonNegativeInt('partition', a.partition)
  const lingerMs = nonNegativeInt('linger-ms', a.lingerMs)
  const client = clientFor(ctx, { clientId: 'tributary-console-producer' })
  const admin = client.admin()
  // Fail on an unknown topic or partition before reading a line, as consume does.
  const topic = await admin.describeTopic(a.topic)
  if (partition !== undefined) checkPartition(a.topic, topic.partitions.map((p) => p.partition), partition)
  const limit = await sizeLimit(admin, a.topic, a.maxMessageBytes)
  const producer = client.producer({ acks, idempotent: acks === 'all', lingerMs, maxMessageBytes: limit.bytes })
  ctx.defer(() => producer.close())
  await producer.connect()

  const pending = new Set<Promise<unknown>>()
  const failed: Array<{ line: number; err: unknown }> = []
  let read = 0
  let written = 0
  let bytes = 0
  const lines = createInterface({ input: ctx.io.stdin, crlfDelay: Infinity })
  ctx.signal.addEventListener('abort', () => lines.close(), { once: true })
  for await (const text of lines) {
    if (failed.length > 0) break
    const lineNo = ++read
    const { key, value } = splitKeyValue(text, a.keySeparator)
    const size = Buffer.byteLength(value) + (key === null ? 0 : Buffer.byteLength(key))
    const batchBytes = batchBytesOf(key, value, headers)
    if (limit.bytes !== undefined && batchBytes > limit.bytes) {
      failed.push({ line: lineNo, err: new CliError(`the record is up to ${batchBytes} bytes as a batch, over ${limit.bytes} (${limit.source}); it was not sent`) })
      break
    }
    const p = producer
      .send({ topic: a.topic, messages: [{ key, value, headers: Object.keys(headers).length ? headers : undefined, partition }] })
      .then(() => {
        written++
        bytes += size
      }, (err: unknown) => failed.push({ line: lineNo, err }))
    pending.add(p)
    void p.finally(() => pending.delete(p))
    if (pending.size >= PRODUCE_PENDING_MAX) await Promise.race(pending)
  }
  await Promise.all(pending)
  if (failed.length === 0) await producer.flush().catch((err: unknown) => failed.push({ line: read, err }))
  if (failed.length > 0) {
    const first = failed.reduce((x, y) => (y.line < x.line ? y : x))
    const more = failed.length > 1 ? `; ${failed.length - 1} more line${failed.length > 2 ? 's' : ''} failed` : ''
    throw new CliError(`${lineError(first.line, first.err, limit)} (${written} of ${read} lines read were written${more}; lines after ${read} were not read)`)
  }
  if (ctx.json) printJson(ctx.io, { topic: a.topic, records: written, bytes })
}
