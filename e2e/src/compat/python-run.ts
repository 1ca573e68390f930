/**
 * Running the Python compat scripts (./python/): finding an interpreter that has
 * a client's module, and running a script whose last stdout line is JSON.
 */
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const SCRIPTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'python')
/** Debian's packages go to the system interpreter, which a PATH python3 (pyenv, venv) may not be. */
const INTERPRETERS = ['/usr/bin/python3', 'python3']

export function interpreterWith(module: string): string | undefined {
  return INTERPRETERS.find((py) => spawnSync(py, ['-c', `import ${module}`], { encoding: 'utf8' }).status === 0)
}

/** Runs a script to completion (killed after timeoutMs); its last stdout line is JSON. */
export function runScript(python: string, script: string, args: string[], timeoutMs = 90_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [path.join(SCRIPTS, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      const last = out.trim().split('\n').pop() ?? ''
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${err.slice(-2000)}`))
      try {
        resolve(JSON.parse(last))
      } catch {
        reject(new Error(`${script} printed no JSON: ${out.slice(-500)} ${err.slice(-1000)}`))
      }
    })
  })
}
