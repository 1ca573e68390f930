/**
 * Child processes of the test harness: run a command to completion, spawn a lone
 * broker, keep a child's newest stderr lines, and kill every child still running
 * when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BROKER_BIN = path.join(REPO_ROOT, 'packages', 'cli', 'dist', 'bin.js')

/** stderr lines kept per node (the newest), for failure reports. */
export const LOG_LINES_MAX = 2000

/**
 * Run `node <args>` from the repository root as a user would, collecting its output.
 * At `timeoutMs` it gets `killSignal` (SIGINT lets a command stop what it started).
 */
export function runNode(args: string[], timeoutMs: number, killSignal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const timer = setTimeout(() => child.kill(killSignal), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Keep the newest LOG_LINES_MAX lines of a child's stream in `logs`; `onChunk` sees the raw text as well. */
export function keepLines(stream: Readable, logs: string[], onChunk?: (chunk: string) => void): void {
  let partial = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    onChunk?.(chunk)
    const lines = (partial + chunk).split('\n')
    partial = lines.pop() ?? ''
    logs.push(...lines)
    if (logs.length > LOG_LINES_MAX) logs.splice(0, logs.length - LOG_LINES_MAX)
  })
}

export interface LoneBroker {
  /** The newest stderr lines (JSON logs). */
  readonly logs: string[]
  /** SIGKILL and wait for the exit. */
  stop(): Promise<void>
}

/** One `tributary broker` process with these flags, outside any TestCluster (e.g. an intruder). */
export async function spawnBroker(args: string[]): Promise<LoneBroker> {
  installExitHook()
  const child = spawn(process.execPath, [BROKER_BIN, 'broker', ...args], { cwd: REPO_ROOT, env: { ...process.env, TRIBUTARY_EXIT_WITH_PARENT: '1' }, stdio: ['pipe', 'ignore', 'pipe'] })
  live.add(child)
  const logs: string[] = []
  const exited = new Promise<void>((resolve) => child.once('exit', () => { live.delete(child); resolve() }))
  keepLines(child.stderr!, logs)
  return {
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}

/** Every child process the harness started and that is still running: killed when the test process exits. */
export const live = new Set<ChildProcess>()
let exitHookInstalled = false
export function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const child of live) {
      try { child.kill('SIGKILL') } catch { /* already gone */ }
    }
  })
}
