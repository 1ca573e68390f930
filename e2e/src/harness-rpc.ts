/**
 * How the harness talks to a broker: a raw WebSocket, an RpcConnection (as a broker
 * of the cluster when given its secret), HTTPS, and the TLS material of a
 * scripts/make-certs.sh directory.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import https from 'node:https'
import path from 'node:path'
import WebSocket from 'ws'
import { BrokerClientMechanism, clusterKey, readClusterSecret } from '@tributary/broker'
import { authenticate, RpcConnection, type Transport } from '@tributary/protocol'

/** PEM files of a make-certs.sh directory, as Node's tls options take them. */
export interface TlsMaterial { ca: Buffer; cert?: Buffer; key?: Buffer }

/** Trust the directory's CA; present `identity` (e.g. client, broker-1) when given. */
export function tlsMaterial(certsDir: string, identity?: string): TlsMaterial {
  const read = (f: string) => readFileSync(path.join(certsDir, f))
  return { ca: read('ca.crt'), ...(identity ? { cert: read(`${identity}.crt`), key: read(`${identity}.key`) } : {}) }
}

/** The broker id the harness claims when it authenticates as a broker (no real node has it). */
export const HARNESS_BROKER_ID = 2 ** 31 - 1

/** A Transport over a client WebSocket (Node). */
function wsClientTransport(ws: WebSocket): Transport {
  const t: Transport = {
    send: (frame) => { if (ws.readyState === WebSocket.OPEN) ws.send(frame, { binary: true }) },
    close: (code = 1000, reason = '') => { if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason) },
    bufferedAmount: () => ws.bufferedAmount,
    onFrame: () => {},
    onClose: () => {},
  }
  ws.on('message', (data) => t.onFrame(data instanceof Buffer ? data : Buffer.from(data as ArrayBuffer)))
  ws.on('close', (code, reason) => t.onClose(code, reason.toString()))
  ws.on('error', () => {})
  return t
}

/** Open a raw WebSocket to a node (for fuzzing); `tls` for wss:// URLs. */
export function openSocket(url: string, timeoutMs = 5000, tls?: TlsMaterial): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false, ...tls })
    ws.once('open', () => { ws.off('error', reject); resolve(ws) })
    ws.once('error', reject)
  })
}

/**
 * An RpcConnection to a node URL. Close it when done. With `secretFile` it
 * first authenticates as broker HARNESS_BROKER_ID (TRIBUTARY-BROKER).
 */
export async function rpc(url: string, opts: { requestTimeoutMs?: number; tls?: TlsMaterial; secretFile?: string | null } = {}): Promise<RpcConnection> {
  const ws = await openSocket(url, 5000, opts.tls)
  const c = new RpcConnection(wsClientTransport(ws), { requestTimeoutMs: opts.requestTimeoutMs ?? 10_000 })
  if (opts.secretFile) {
    try {
      const secret = await readClusterSecret(opts.secretFile)
      if (!secret.ok) throw new Error(secret.message)
      await authenticate(c, new BrokerClientMechanism(clusterKey(secret.value.bytes), HARNESS_BROKER_ID))
    } catch (err) {
      c.close()
      throw err
    }
  }
  return c
}

/** A fresh random cluster secret in `dir`, readable by its owner only (as `tributary dev` makes one). */
export async function makeSecretFile(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  const file = path.join(dir, 'cluster.secret')
  await writeFile(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 })
  return file
}

/** The broker flags of node `nodeId` in a make-certs.sh directory (its certificate from `nodeCertsDir` when given). */
export function tlsBrokerArgs(certsDir: string, nodeId: number, clientAuth: 'required' | 'requested' | 'none' = 'none', nodeCertsDir = certsDir): string[] {
  const own = (name: string) => path.join(nodeCertsDir, name)
  return ['--tls-cert', own(`broker-${nodeId}.crt`), '--tls-key', own(`broker-${nodeId}.key`), '--tls-ca', path.join(certsDir, 'ca.crt'), '--tls-client-auth', clientAuth]
}

/** GET over https:// on loopback (fetch cannot be given a CA or a client certificate). */
export function httpsGet(port: number, urlPath: string, tls: TlsMaterial, timeoutMs = 5000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: urlPath, ...tls, timeout: timeoutMs }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.once('timeout', () => req.destroy(new Error(`GET ${urlPath}: no answer within ${timeoutMs} ms`)))
    req.once('error', reject)
  })
}
