/**
 * How a second terminal drives a running `tributary dev`: `tributary dev stop 2`,
 * `dev start 2`, `dev restart 2`. The running dev serves a small HTTP API on a
 * unix socket in its data directory (DATA/dev.sock): the socket's presence says
 * a dev runs there, only local users with access to the directory can reach it,
 * and the answer (done, or why not) comes back to the terminal that asked.
 */
import http from 'node:http'
import { existsSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { CliError } from '../errors.js'

export const DEV_ACTIONS = ['stop', 'start', 'restart'] as const
export type DevAction = (typeof DEV_ACTIONS)[number]

/** The control socket of the dev cluster in `dataDir`. */
export const controlSocketPath = (dataDir: string): string => join(dataDir, 'dev.sock')

/** Unix socket paths are limited to ~108 bytes (sun_path); longer ones cannot be bound. */
const SOCKET_PATH_BYTES_MAX = 100
/** How long a control request may take: a stop waits for the node's controlled shutdown. */
export const CONTROL_REQUEST_MS_MAX = 30_000

/** What the running dev does for one request: a line for the asking terminal, or a CliError. */
export type ControlHandler = (action: DevAction, nodeId: number) => Promise<string>

/** Serve control requests; resolves with a close function (undefined when no socket could be bound). */
export async function serveControl(dataDir: string, handle: ControlHandler): Promise<{ close(): Promise<void> } | undefined> {
  const path = controlSocketPath(dataDir)
  if (Buffer.byteLength(path) > SOCKET_PATH_BYTES_MAX) return undefined
  // A dev killed with SIGKILL leaves its socket file behind; the ports were free, so no dev uses it.
  if (existsSync(path)) unlinkSync(path)
  const server = http.createServer((req, res) => {
    const m = /^\/nodes\/(\d+)\/(stop|start|restart)$/.exec(req.url ?? '')
    if (req.method !== 'POST' || !m) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('unknown request\n')
      return
    }
    handle(m[2] as DevAction, Number(m[1])).then(
      (line) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${line}\n`),
      (err: unknown) => res.writeHead(409, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolve())
  })
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Ask the dev running in `dataDir` to act on one node; resolves with its answer line. */
export function sendControl(dataDir: string, action: DevAction, nodeId: number): Promise<string> {
  const socketPath = controlSocketPath(dataDir)
  if (!existsSync(socketPath)) throw new CliError(`no tributary dev is running on ${dataDir} (no ${socketPath}); start one with \`tributary dev --data-dir ${dataDir}\``)
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'POST', path: `/nodes/${nodeId}/${action}`, timeout: CONTROL_REQUEST_MS_MAX }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => (body += c))
      res.on('end', () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new CliError(body.trim() || `dev answered ${res.statusCode}`))))
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${CONTROL_REQUEST_MS_MAX} ms`)))
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(new CliError(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? `no tributary dev is running on ${dataDir} (its control socket is stale)` : `dev on ${dataDir}: ${err.message}`))
    })
    req.end()
  })
}
