/**
 * `tributary dev` driven from a second terminal: `dev stop|start|restart <node>`
 * reach the running dev through its control socket, and the status line counts
 * what serves on the nodes' ports, including a node a user restarted by hand.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { freeRun, runCli, startCli } from './cli-process.js'
import { BROKER_BIN, REPO_ROOT } from './cluster.js'

/** How long a status change may take to show: a node's start, an election, a poll. */
const STATUS_WAIT_MS = 30_000

/** Wait until `cond` holds, polling; at the deadline fail with `message()` (the output so far). */
async function until(cond: () => boolean, message: () => string, timeoutMs = STATUS_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(message())
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The status lines printed after `from` in dev's output. */
const statusSince = (out: string, from: number): string[] => out.slice(from).split('\n').filter((l) => l.startsWith('leader '))
const upAfter = (out: string, from: number, up: string): boolean => statusSince(out, from).some((l) => l.endsWith(`nodes up ${up}`))

test('dev stop / start / restart one node from another terminal; a node restarted by hand counts as up', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-devctl-'))
  const base = await freeRun(3)
  const dev = startCli(['dev', '--data-dir', dir, '--base-port', String(base), '--log-level', 'warn'])
  let byHand: ChildProcess | undefined
  const out = dev.output
  const why = (what: string) => () => `${what}; dev output so far:\n${out()}`
  try {
    await until(() => upAfter(out(), 0, '3/3'), why('3 nodes up'))
    expect(out()).toContain(`Another terminal: tributary dev stop|start|restart <node> --data-dir ${dir}`)
    // The web console it points to is there.
    expect(out()).toContain(`web console: http://127.0.0.1:${base}/ (every node serves it)`)
    expect((await fetch(`http://127.0.0.1:${base}/`)).headers.get('content-type')).toBe('text/html; charset=utf-8')

    let mark = out().length
    expect(await runCli(['dev', 'stop', '2', '--data-dir', dir])).toMatchObject({ code: 0, stdout: 'node 2 stopped\n' })
    await until(() => upAfter(out(), mark, '2/3'), why('2/3 after dev stop 2'))
    expect(out().slice(mark)).toContain('node 2 stopped (dev stop)')
    expect(out()).not.toMatch(/node 2 exited/)
    expect(await runCli(['dev', 'stop', '2', '--data-dir', dir])).toMatchObject({ code: 1, stderr: 'error: node 2 is not running\n' })

    mark = out().length
    const started = await runCli(['dev', 'start', '2', '--data-dir', dir])
    expect(started).toMatchObject({ code: 0, stdout: expect.stringMatching(/^node 2 started \(pid \d+, log /) })
    await until(() => upAfter(out(), mark, '3/3'), why('3/3 after dev start 2'))

    mark = out().length
    expect(await runCli(['dev', 'restart', '3', '--data-dir', dir])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^node 3 restarted/) })
    await until(() => upAfter(out(), mark, '3/3'), why('3/3 after dev restart 3'))
    expect(out().slice(mark)).toMatch(/node 3 stopped \(dev stop\)[\s\S]*node 3 started/)

    expect(await runCli(['dev', 'start', '9', '--data-dir', dir])).toMatchObject({ code: 1, stderr: 'error: no node 9: this dev runs nodes 1..3\n' })
    expect(await runCli(['dev', 'stop', '--data-dir', dir])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: missing <node>: tributary dev stop <node>/) })

    // Node 1 dies; the user starts it again by hand, as its own `tributary broker`: the status line counts it.
    const pid = Number(/node 1 {2}ws:\/\/\S+ {2}kafka \S+ {2}pid (\d+)/.exec(out())![1])
    mark = out().length
    process.kill(pid, 'SIGKILL')
    await until(() => out().slice(mark).includes('node 1 exited') && upAfter(out(), mark, '2/3'), why('node 1 reported exited'))
    mark = out().length
    const voters = [1, 2, 3].map((id) => `${id}@ws://127.0.0.1:${base + id - 1}`).join(',')
    byHand = spawn(process.execPath, [BROKER_BIN, 'broker', '--node-id', '1', '--listen', `ws://127.0.0.1:${base}`, '--data-dir', path.join(dir, 'node-1'), '--voters', voters, '--log-level', 'warn', '--cluster-secret-file', path.join(dir, 'cluster.secret')], {
      cwd: REPO_ROOT,
      env: { ...process.env, TRIBUTARY_EXIT_WITH_PARENT: '1' },
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    await until(() => upAfter(out(), mark, '3/3'), why('3/3 with node 1 restarted by hand'))
    // dev did not start node 1 itself: it only reports what serves.
    expect(await runCli(['dev', 'start', '1', '--data-dir', dir])).toMatchObject({ code: 1, stderr: expect.stringMatching(/port \d+ is in use \(a node started by hand\?\)/) })

    dev.child.kill('SIGTERM')
    expect(await dev.exit).toBe(0)
  } finally {
    dev.child.kill('SIGKILL')
    byHand?.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
  // With no dev running, the control commands say so.
  const none = await runCli(['dev', 'stop', '1', '--data-dir', dir])
  expect(none).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: no tributary dev is running on /) })
}, 180_000)
