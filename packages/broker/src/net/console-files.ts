/**
 * The web console's static files (packages/console/dist, built by `npm run build`),
 * served on the node's one port at `/`. Only files inside the directory are ever
 * read: the path is decoded, normalised and checked to stay under the root, so
 * `/../`, `%2e%2e/`, encoded separators and NUL bytes cannot leave it. Files are
 * read once and kept (the bundle does not change while the node runs).
 *
 * The console is a page that holds no secrets of its own but is logged in as a
 * user: it is sent with a Content-Security-Policy (scripts only from this node,
 * connections to WebSocket endpoints and /metrics of the cluster's nodes) and
 * may not be framed by another site (clickjacking).
 */
import { readFile, stat } from 'node:fs/promises'
import type http from 'node:http'
import path from 'node:path'

/** Content types of what the console build emits; anything else is not served. */
export const CONSOLE_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
}

/** The console's security headers (see the file comment). */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss: http: https:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
}

/** Largest file the console serves (its bundle is a few hundred KB). */
const CONSOLE_FILE_BYTES_MAX = 8 * 1024 * 1024

export interface ConsoleFiles {
  /** Serves `urlPath` (already stripped of its query) if it is a console file; false when it is not one (the caller answers 404). */
  serve(urlPath: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean>
}

/** Resolve a request path to a file under root, or undefined when it would leave root or is not a plain path. */
export function resolveConsolePath(root: string, urlPath: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return undefined
  }
  if (decoded.includes('\0') || decoded.includes('\\') || !decoded.startsWith('/')) return undefined
  const relative = decoded === '/' ? 'index.html' : decoded.slice(1)
  const full = path.resolve(root, relative)
  const base = path.resolve(root)
  if (full !== base && !full.startsWith(base + path.sep)) return undefined
  if (path.basename(full).startsWith('.')) return undefined
  return full
}

export function consoleFiles(root: string): ConsoleFiles {
  const cache = new Map<string, Buffer>()
  const read = async (file: string): Promise<Buffer | undefined> => {
    const hit = cache.get(file)
    if (hit) return hit
    const s = await stat(file).catch(() => undefined)
    if (!s?.isFile() || s.size > CONSOLE_FILE_BYTES_MAX) return undefined
    const bytes = await readFile(file)
    cache.set(file, bytes)
    return bytes
  }
  return {
    async serve(urlPath, req, res) {
      const file = resolveConsolePath(root, urlPath)
      const type = file && CONSOLE_CONTENT_TYPES[path.extname(file)]
      if (!file || !type) return false
      const bytes = await read(file)
      if (!bytes) {
        if (urlPath !== '/') return false
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('the web console is not built: run `npm run build`\n')
        return true
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n')
        return true
      }
      res.writeHead(200, { ...CONSOLE_HEADERS, 'content-type': type, 'content-length': bytes.byteLength })
      res.end(req.method === 'HEAD' ? undefined : bytes)
      return true
    },
  }
}
