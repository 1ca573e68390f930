/**
 * What the CLI says when something goes wrong, against a real 3-node cluster:
 * produce names the failing stdin line and reports what was written, honours the
 * topic's max.message.bytes and --max-message-bytes, and checks --partition as
 * consume does; consume --timeout-ms ends an idle read; and the hints (unknown
 * topic, a non-empty group, wss:// against a plain port) say what to do.
 */
import { runCli, startCli } from './cli-process.js'
import { startCluster, type TestCluster } from './cluster.js'

let cluster: TestCluster
let env: Record<string, string>

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, logLevel: 'warn' })
  env = { TRIBUTARY_BOOTSTRAP: cluster.bootstrap.join(',') }
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
})

const cli = (args: string[], input?: string) => runCli(args, { env, input })

/** Every value in the topic, read from the beginning until it is idle for a second. */
async function values(topic: string): Promise<string[]> {
  const r = await cli(['consume', topic, '--from-beginning', '--timeout-ms', '1000'])
  expect(r).toMatchObject({ code: 0, stderr: '' })
  return r.stdout.split('\n').filter(Boolean).sort()
}

test("produce stops at a line over the topic's max.message.bytes, names it, and says what was written", async () => {
  expect((await cli(['topics', 'create', 'limited', '--partitions', '1', '--replication-factor', '3', '--config', 'max.message.bytes=1024'])).code).toBe(0)
  const r = await cli(['produce', 'limited'], ['a', 'b', 'c', 'x'.repeat(2000), 'd', 'e'].join('\n') + '\n')
  expect(r.code).toBe(1)
  expect(r.stderr).toMatch(/^error: line 4: the record is up to 20\d\d bytes as a batch, over 1024 \(max.message.bytes of limited\); it was not sent \(3 of 4 lines read were written; lines after 4 were not read\)\n$/)
  expect(await values('limited')).toEqual(['a', 'b', 'c'])
})

test('a line the cluster refuses is named too, with what was written', async () => {
  // A --max-message-bytes above the topic's limit lets the record go out; the broker refuses it.
  const r = await cli(['produce', 'limited', '--max-message-bytes', '1m'], 'x'.repeat(2000) + '\n')
  expect(r.code).toBe(1)
  expect(r.stderr).toMatch(/^error: line 1: MESSAGE_TOO_LARGE: .*max.message.bytes 1024 \(0 of 1 lines read were written; lines after 1 were not read\)\n$/)
})

test('--max-message-bytes lowers the limit for this run; a line within it goes through', async () => {
  expect((await cli(['topics', 'create', 'capped', '--partitions', '1', '--replication-factor', '3'])).code).toBe(0)
  const r = await cli(['produce', 'capped', '--max-message-bytes', '200'], ['short', 'y'.repeat(150), 'after'].join('\n'))
  expect(r.code).toBe(1)
  expect(r.stderr).toMatch(/^error: line 2: the record is up to 2\d\d bytes as a batch, over 200 \(--max-message-bytes\); it was not sent \(1 of 2 lines read were written/)
  expect(await values('capped')).toEqual(['short'])
  expect(await cli(['produce', 'capped', '--max-message-bytes', '1k'], 'z'.repeat(150))).toMatchObject({ code: 0, stderr: '' })
})

test('--partition past the topic gets the same message from produce and consume, before anything is read', async () => {
  expect((await cli(['topics', 'create', 'six', '--partitions', '6', '--replication-factor', '1'])).code).toBe(0)
  const line = "error: --partition: '7' is not a partition of six, which has partitions 0..5\n"
  expect(await cli(['produce', 'six', '--partition', '7'], 'x\n')).toMatchObject({ code: 2, stderr: line })
  expect(await cli(['consume', 'six', '--partition', '7'])).toMatchObject({ code: 2, stderr: line })
  expect(await values('six')).toEqual([])
})

test('consume --timeout-ms ends an idle read (also on an empty topic) while --timeout stays the request timeout', async () => {
  expect((await cli(['topics', 'create', 'idle', '--partitions', '2', '--replication-factor', '3'])).code).toBe(0)
  const empty = await cli(['consume', 'idle', '--from-beginning', '--timeout-ms', '500', '--timeout', '10000'])
  expect(empty).toMatchObject({ code: 0, stdout: '', stderr: '' })
  expect((await cli(['produce', 'idle'], 'one\ntwo\n')).code).toBe(0)
  expect(await values('idle')).toEqual(['one', 'two'])
  // --max-messages still ends it first when it comes first.
  const first = await cli(['consume', 'idle', '--from-beginning', '--max-messages', '1', '--timeout-ms', '60000'])
  expect(first.stdout.split('\n').filter(Boolean)).toHaveLength(1)
})

test('an unknown topic points to topics list, without the client\'s wait', async () => {
  for (const args of [['produce', 'nope'], ['consume', 'nope'], ['topics', 'describe', 'nope']]) {
    const r = await cli(args, 'x\n')
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 1, stderr: 'error: UNKNOWN_TOPIC_OR_PARTITION: topic "nope" is not known to the cluster; see `tributary topics list`\n' })
  }
})

test('groups delete on a group with members says to stop its consumers', async () => {
  expect((await cli(['topics', 'create', 'busy', '--partitions', '1', '--replication-factor', '3'])).code).toBe(0)
  const consumer = startCli(['consume', 'busy', '--group', 'busy-group'], env)
  try {
    await cluster.waitFor(async () => {
      const d = await cli(['groups', 'describe', 'busy-group', '--json'])
      return d.code === 0 && (JSON.parse(d.stdout) as { members: unknown[] }).members.length === 1
    }, { timeoutMs: 30_000, message: 'the consumer to join busy-group' })
    const r = await cli(['groups', 'delete', 'busy-group'])
    expect(r).toMatchObject({ code: 1, stderr: 'error: group busy-group has 1 active member(s); stop its consumers, then delete it\n' })
  } finally {
    consumer.child.kill('SIGTERM')
    await consumer.exit
  }
})

test('wss:// against a plain ws:// port says the port does not speak TLS', async () => {
  const plain = cluster.bootstrap[0]!.replace('ws://', 'wss://')
  const r = await runCli(['topics', 'list', '--bootstrap', plain, '--timeout', '5000'])
  expect(r).toMatchObject({ code: 1, stderr: `error: cannot reach the cluster at ${plain}: the port does not speak TLS (use ws:// for a plain port, or point wss:// at a TLS listener)\n` })
})
