import { PassThrough } from 'node:stream'
import { main } from './cli.js'
import type { Io } from './io.js'

/** Run the CLI in-process with buffered streams. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (c) => (out += c))
  stderr.on('data', (c) => (err += c))
  const io: Io = { stdout, stderr, stdin: new PassThrough() }
  const code = await main(argv, io)
  return { code, stdout: out, stderr: err }
}

describe('argument parsing', () => {
  it('an unknown flag is exit 2 with one line naming it', async () => {
    const r = await run(['topics', 'list', '--bogus'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('error: Unknown argument: bogus (see --help)\n')
  })

  it('no command is exit 2', async () => {
    const r = await run([])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('an unknown subcommand is exit 2', async () => {
    expect((await run(['topics', 'frobnicate'])).code).toBe(2)
  })

  it('a bad value caught by a command is exit 2 naming the flag', async () => {
    const r = await run(['topics', 'create', 'x', '--partitions', '1.5'])
    expect(r).toMatchObject({ code: 2, stderr: "error: --partitions: '1.5' is not a non-negative integer\n" })
  })

  it('a bad --bootstrap is exit 2', async () => {
    const r = await run(['topics', 'list', '--bootstrap', 'http://h:1'])
    expect(r).toMatchObject({ code: 2, stderr: "error: --bootstrap: 'http://h:1' must be ws:// or wss://\n" })
  })

  it.each(['abc', '-5', '0', '1.5'])('--timeout %s is exit 2 naming the flag, before anything connects', async (value) => {
    const r = await run(['topics', 'list', '--timeout', value, '--bootstrap', 'ws://127.0.0.1:1'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error: --timeout: [^\n]+\n$/)
    expect(r.stdout).toBe('')
  })

  it('reset-offsets needs exactly one target', async () => {
    const r = await run(['groups', 'reset-offsets', 'g', '--to-earliest', '--to-offset', '3'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/exactly one of --to-earliest/)
  })

  it('--offline without --data-dir is exit 2', async () => {
    expect(await run(['metadata', 'status', '--offline'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--offline needs --data-dir/) })
  })
})
