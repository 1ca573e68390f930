/** Usage mistakes of `partitions` and `brokers` are exit 2 with the reason, before anything connects. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { main } from '../cli.js'

async function run(args: string[]): Promise<{ code: number; err: string }> {
  const stderr = new PassThrough()
  let err = ''
  stderr.on('data', (c) => (err += c))
  const code = await main([...args, '--bootstrap', 'ws://127.0.0.1:1'], { stdout: new PassThrough(), stderr, stdin: new PassThrough() })
  return { code, err }
}

let dir: string
beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-partitions-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

test.each([
  [['partitions', 'reassign'], /exactly one of --generate, --execute FILE, --verify \[FILE\], --cancel \[FILE\]/],
  [['partitions', 'reassign', '--generate', '--verify'], /exactly one of/],
  [['partitions', 'reassign', '--execute', ''], /--execute needs a plan file/],
  [['partitions', 'reassign', '--execute', '/nonexistent/plan.json'], /--execute: cannot read \/nonexistent\/plan.json: ENOENT/],
  [['partitions', 'reassign', '--generate', '--brokers', '1,x', '--topics', 'orders'], /--brokers must list broker ids/],
  [['partitions', 'reassign', '--generate', '--brokers', '1,2'], /--generate needs --topics/],
  [['partitions', 'elect-leaders', '--partition', '0'], /--partition needs --topic/],
  [['partitions', 'elect-leaders', '--preferred', '--unclean'], /not both/],
  [['brokers', 'drain', '0'], /give the broker id to drain/],
  [['partitions', 'reassign', '--verify', '--throttle', '5MB'], /--throttle goes with --execute/],
  [['partitions', 'reassign', '--execute', 'plan.json', '--throttle', 'fast'], /--throttle: 'fast' is not a size/],
  [['partitions', 'reassign', '--execute', 'plan.json', '--throttle', '0'], /--throttle must be positive/],
  [['partitions', 'reassign', '--execute', 'plan.json', '--preserve-throttles'], /--preserve-throttles goes with --verify or --cancel/],
  [['configs', 'describe'], /give --broker ID, --broker-defaults or --topic NAME/],
  [['configs', 'describe', '--broker', '1', '--topic', 't'], /give --broker ID, --broker-defaults or --topic NAME/],
  [['configs', 'alter', '--broker', '1'], /configs alter: give --add-config or --delete-config/],
  [['configs', 'alter', '--broker', 'x', '--add-config', 'a=1'], /--broker/],
])('%j is refused: %s', async (args, why) => {
  const r = await run(args)
  expect(r.code).toBe(2)
  expect(r.err).toMatch(why)
})

test('a plan file that is not Kafka\'s shape is refused with where it is wrong', async () => {
  const file = path.join(dir, 'bad.json')
  await writeFile(file, JSON.stringify({ version: 1, partitions: [{ topic: 'orders', partition: 0, replicas: [1, 'two'] }] }))
  const r = await run(['partitions', 'reassign', '--execute', file])
  expect(r.code).toBe(2)
  expect(r.err).toMatch(/partitions\[0\] must be/)
})
