import { PassThrough } from 'node:stream'
import { main, VERSION } from './cli.js'
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
  it('an unknown flag is exit 2 with one line naming it as typed', async () => {
    const r = await run(['topics', 'list', '--bogus'])
    expect(r).toMatchObject({ code: 2, stderr: 'error: unknown flag --bogus (see --help)\n' })
  })

  it('a mistyped flag gets "did you mean", from the flags of the command being parsed', async () => {
    expect(await run(['topics', 'create', 'x', '--partitons', '3'])).toMatchObject({ code: 2, stderr: 'error: unknown flag --partitons; did you mean --partitions? (see --help)\n' })
    expect(await run(['consume', 't', '--from-begining'])).toMatchObject({ code: 2, stderr: 'error: unknown flag --from-begining; did you mean --from-beginning? (see --help)\n' })
  })

  it('-p means --partition (produce, consume) and nothing else: topics create says which flag it has', async () => {
    expect(await run(['topics', 'create', 'x', '-p', '3'])).toMatchObject({ code: 2, stderr: 'error: unknown flag -p; did you mean --partitions? (see --help)\n' })
    expect(await run(['consume', 't', '-p', 'x'])).toMatchObject({ code: 2, stderr: "error: --partition: 'x' is not a non-negative integer\n" })
    expect(await run(['produce', 't', '-p', '-3'])).toMatchObject({ code: 2, stderr: "error: --partition: '-3' is not a non-negative integer\n" })
  })

  it('a missing positional is named with the command usage', async () => {
    expect(await run(['produce'])).toMatchObject({ code: 2, stderr: 'error: missing <topic>: tributary produce <topic> (see --help)\n' })
    expect(await run(['topics', 'create'])).toMatchObject({ code: 2, stderr: 'error: missing <topic>: tributary topics create <topic> (see --help)\n' })
    expect(await run(['groups', 'describe'])).toMatchObject({ code: 2, stderr: 'error: missing <group>: tributary groups describe <group> (see --help)\n' })
  })

  it('an unknown command word gets a suggestion or the list of subcommands', async () => {
    expect(await run(['prodce', 't'])).toMatchObject({ code: 2, stderr: "error: unknown command 'prodce'; did you mean 'produce'? (see --help)\n" })
    expect(await run(['topics', 'frobnicate'])).toMatchObject({ code: 2, stderr: "error: unknown command 'topics frobnicate'; tributary topics takes create, list, describe, alter, delete, delete-records (see --help)\n" })
    expect(await run(['topics', 'lst'])).toMatchObject({ code: 2, stderr: "error: unknown command 'topics lst'; did you mean 'topics list'? (see --help)\n" })
  })

  it('a bad choice lists the choices', async () => {
    expect(await run(['consume', 't', '--format', 'xml'])).toMatchObject({ code: 2, stderr: "error: --format: 'xml' is not one of value, json (see --help)\n" })
    expect(await run(['dev', 'reboot', '2'])).toMatchObject({ code: 2, stderr: "error: <action>: 'reboot' is not one of stop, start, restart (see --help)\n" })
  })

  it('--version prints the package version', async () => {
    const r = await run(['--version'])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(r.stdout).toBe(`${VERSION}\n`)
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('no command is exit 2', async () => {
    const r = await run([])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('an unknown subcommand is exit 2', async () => {
    expect((await run(['topics', 'frobnicate'])).code).toBe(2)
  })

  it.each([['1.5'], ['abc'], ['0'], ['-2'], ['']])('--partitions %j: exit 2, the rule and the value as typed (never NaN)', async (value) => {
    const r = await run(['topics', 'create', 'x', '--partitions', value])
    expect(r).toMatchObject({ code: 2, stderr: `error: --partitions: '${value}' is not a positive integer\n` })
  })

  it('number flags of every command echo the value as typed', async () => {
    expect((await run(['consume', 't', '--max-messages', 'ten'])).stderr).toBe("error: --max-messages: 'ten' is not a positive integer\n")
    expect((await run(['consume', 't', '--timeout-ms', '1e3'])).stderr).toBe("error: --timeout-ms: '1e3' is not a positive integer\n")
    expect((await run(['metadata', 'log', '--from', 'x'])).stderr).toBe("error: --from: 'x' is not a non-negative integer\n")
    expect((await run(['groups', 'reset-offsets', 'g', '--to-offset', 'abc'])).stderr).toBe("error: --to-offset: 'abc' is not a non-negative integer\n")
    expect((await run(['dev', '--nodes', '12'])).stderr).toBe("error: --nodes: '12' is not an integer from 1 to 9\n")
  })

  it('a bad --bootstrap is exit 2', async () => {
    const r = await run(['topics', 'list', '--bootstrap', 'http://h:1'])
    expect(r).toMatchObject({ code: 2, stderr: "error: --bootstrap: 'http://h:1' must be ws:// or wss://\n" })
  })

  it.each(['abc', '-5', '0', '1.5'])('--timeout %s is exit 2 naming the flag, before anything connects', async (value) => {
    const r = await run(['topics', 'list', '--timeout', value, '--bootstrap', 'ws://127.0.0.1:1'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`error: --timeout: '${value}' is not a positive integer\n`)
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
