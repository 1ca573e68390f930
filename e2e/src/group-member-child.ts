/**
 * A consumer-group member in its own process, for tests that kill -9 a
 * member: `node e2e/dist/group-member-child.js` with TRIBUTARY_BOOTSTRAP,
 * GROUP, TOPIC, SESSION_TIMEOUT_MS and AUTO_COMMIT_INTERVAL_MS in the
 * environment. It reports on stdout, one JSON object a line, what the test
 * cannot see from outside: `assigned` / `revoked` / `lost` partitions, every
 * record it processed (`msg`), and every commit once the coordinator
 * acknowledged it (`commit`, offsets = next offset to read). It exits when its
 * stdin closes, so it never outlives the test process.
 */
import { Tributary } from '@tributary/client'

export type ChildEvent =
  | { ev: 'assigned' | 'revoked' | 'lost'; partitions: number[] }
  | { ev: 'msg'; partition: number; offset: number }
  | { ev: 'commit'; offsets: Array<{ partition: number; offset: number }> }

function env(name: string): string {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}

function report(e: ChildEvent): void {
  process.stdout.write(`${JSON.stringify(e)}\n`)
}

async function main(): Promise<void> {
  const topic = env('TOPIC')
  const client = new Tributary({ brokers: env('TRIBUTARY_BOOTSTRAP').split(','), clientId: 'e2e-child-member' })
  const consumer = client.consumer({
    groupId: env('GROUP'),
    fromBeginning: true,
    sessionTimeoutMs: Number(env('SESSION_TIMEOUT_MS')),
    autoCommitIntervalMs: Number(env('AUTO_COMMIT_INTERVAL_MS')),
    maxWaitTimeInMs: 100,
  })
  const partitionsOf = (x: { partitions: Array<{ topic: string; partition: number }> }): number[] => x.partitions.filter((tp) => tp.topic === topic).map((tp) => tp.partition)
  for (const ev of ['assigned', 'revoked', 'lost'] as const) consumer.on(ev, (x) => report({ ev, partitions: partitionsOf(x) }))
  consumer.on('commit', (x: { offsets: Array<{ topic: string; partition: number; offset: number }> }) => {
    report({ ev: 'commit', offsets: x.offsets.filter((o) => o.topic === topic).map((o) => ({ partition: o.partition, offset: o.offset })) })
  })
  consumer.on('crash', (x: { error: Error }) => process.stderr.write(`crash: ${x.error.message}\n`))
  process.stdin.on('close', () => process.exit(0))
  process.stdin.resume()
  await consumer.subscribe({ topics: [topic] })
  await consumer.run({ eachMessage: async ({ partition, message }) => report({ ev: 'msg', partition, offset: message.offset }) })
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`)
  process.exit(1)
})
