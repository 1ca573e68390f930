/**
 * The built `tributary` bin as a user runs it, for black-box tests: run to
 * completion (`runCli`) or leave running (`startCli`), and a run of free
 * consecutive ports for `dev --base-port`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import { BROKER_BIN, freePort, REPO_ROOT } from './cluster.js'

export interface CliRun { code: number | null; stdout: string; stderr: string }

/** How long one CLI run may take before it is killed. */
export const CLI_RUN_MS_DEFAULT = 30_000

/** Run the CLI to completion (SIGKILLed after timeoutMs) with `input` on stdin. */
export function runCli(args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BROKER_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? CLI_RUN_MS_DEFAULT)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(opts.input ?? '')
  })
}

/** Start the CLI and leave it running; stdout and stderr go to `output()`. Brokers it starts exit if we die. */
export function startCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BROKER_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, TRIBUTARY_EXIT_WITH_PARENT: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c))
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => out, exit }
}

/** A base port with `n` free consecutive ports on 127.0.0.1. */
export async function freeRun(n: number): Promise<number> {
  for (;;) {
    const base = await freePort()
    if (base + n > 65535) continue
    const others = await Promise.all(Array.from({ length: n - 1 }, (_, i) => isFree(base + i + 1)))
    if (others.every(Boolean)) return base
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}
