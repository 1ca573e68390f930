/**
 * `tributary produce TOPIC`: one record per stdin line, like
 * kafka-console-producer. `--key-separator` splits key from value at its first
 * occurrence; `--headers k=v,...` go on every record.
 */
import { createInterface } from 'node:readline'
import type { Argv } from 'yargs'
import { nonNegativeInt, parseAcks, parseKeyValues, splitKeyValue } from '../args.js'
import { clientFor } from '../connect.js'
import { printJson } from '../io.js'
import { runCommand, type Ctx, type Runtime } from '../runtime.js'

/** Sends awaiting acknowledgement at once; reading stdin pauses beyond it. */
export const PRODUCE_PENDING_MAX = 1024

interface ProduceArgs {
  topic: string
  keySeparator?: string
  headers?: string[]
  acks: string
  partition?: number
  lingerMs: number
}

export function produceCommand(y: Argv, rt: Runtime): Argv {
  return y.command(
    'produce <topic>',
    'send stdin lines as records (one per line)',
    (c) =>
      c
        .positional('topic', { type: 'string', demandOption: true })
        .option('key-separator', { alias: 'K', type: 'string', describe: 'split each line into key and value at the first occurrence' })
        .option('headers', { alias: 'H', type: 'string', array: true, describe: 'headers on every record: k=v,k2=v2' })
        .option('acks', { type: 'string', default: 'all', describe: '0, 1 or all' })
        .option('partition', { alias: 'p', type: 'number', describe: 'send every record to this partition' })
        .option('linger-ms', { type: 'number', default: 5, describe: 'how long a batch waits for more records' }),
    runCommand<ProduceArgs>(rt, produce) as never,
  )
}

async function produce(a: ProduceArgs, ctx: Ctx): Promise<void> {
  const acks = parseAcks(a.acks)
  const headers = parseKeyValues('headers', a.headers)
  const partition = a.partition === undefined ? undefined : nonNegativeInt('partition', a.partition)
  const lingerMs = nonNegativeInt('linger-ms', a.lingerMs)
  const client = clientFor(ctx, { clientId: 'tributary-console-producer' })
  const producer = client.producer({ acks, idempotent: acks === 'all', lingerMs })
  ctx.defer(() => producer.close())
  await producer.connect()

  const pending = new Set<Promise<unknown>>()
  let failure: unknown
  let records = 0
  let bytes = 0
  const lines = createInterface({ input: ctx.io.stdin, crlfDelay: Infinity })
  ctx.signal.addEventListener('abort', () => lines.close(), { once: true })
  for await (const line of lines) {
    if (failure) break
    const { key, value } = splitKeyValue(line, a.keySeparator)
    const p = producer
      .send({ topic: a.topic, messages: [{ key, value, headers: Object.keys(headers).length ? headers : undefined, partition }] })
      .catch((err: unknown) => {
        failure ??= err
      })
    pending.add(p)
    void p.finally(() => pending.delete(p))
    records++
    bytes += Buffer.byteLength(value) + (key === null ? 0 : Buffer.byteLength(key))
    if (pending.size >= PRODUCE_PENDING_MAX) await Promise.race(pending)
  }
  await Promise.all(pending)
  if (!failure) await producer.flush().catch((err: unknown) => (failure ??= err))
  if (failure) throw failure
  if (ctx.json) printJson(ctx.io, { topic: a.topic, records, bytes })
}
