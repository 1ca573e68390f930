/**
 * Real broker processes for black-box tests: `node packages/cli/dist/bin.js
 * broker ...` children on loopback, OS-chosen free ports, temp data dirs.
 *
 * Clusters are secured as `tributary dev` secures them: every node gets the
 * same fresh cluster secret (cluster-internal APIs answer only brokers), so the
 * whole suite runs against what users run. The harness holds the secret and
 * can authenticate as a broker (`brokerRpc`) for replica and debug reads.
 *
 * Every child is killed when the test process exits (afterAll → stop(), a
 * process 'exit' hook, and TRIBUTARY_EXIT_WITH_PARENT: the broker exits when its
 * stdin pipe from us closes, which also covers a SIGKILLed test runner).
 *
 * Tests build on `npm run build` (dist must exist); in a dev loop run
 * `npx tsc -b packages/cli` first.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import https from 'node:https'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { BrokerClientMechanism, clusterKey, readClusterSecret } from '@tributary/broker'
import { ApiKey, authenticate, RpcConnection, type MetadataResponse, type Transport } from '@tributary/protocol'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BROKER_BIN = path.join(REPO_ROOT, 'packages', 'cli', 'dist', 'bin.js')

/** stderr lines kept per node (the newest), for failure reports. */
export const LOG_LINES_MAX = 2000
export const READY_TIMEOUT_MS_DEFAULT = 30_000

export interface ClusterOptions {
  nodes?: number
  /** How many of the nodes vote (the first ones); the rest are observers. Default: all. */
  voters?: number
  /** How many nodes (the first ones) start with the cluster; the rest wait for restart(id), as brokers added later. Default: all. */
  startNodes?: number
  /** Parent directory for node data dirs; default a fresh temp dir (removed by stop()). */
  dataDir?: string
  env?: Record<string, string>
  /** Extra broker flags, for every node or per node id. */
  brokerArgs?: string[] | ((nodeId: number) => string[])
  logLevel?: string
  readyTimeoutMs?: number
  /** Runs once the nodes' ports are chosen, before any node starts (e.g. start per-link proxies). */
  beforeStart?: (nodes: readonly ClusterNode[]) => Promise<void>
  /**
   * Each node's own --voters list, e.g. itself at its real URL and every peer
   * through a proxy for the link self→peer (peer traffic resolves voters first,
   * so all broker-to-broker traffic then crosses the proxies). Default: every
   * voter at its real URL.
   */
  votersFor?: (nodeId: number, nodes: readonly ClusterNode[]) => string
  /** Also append each node's whole stderr (JSON logs) to <logDir>/node-<id>.log, across restarts. */
  logDir?: string
  /** What each node tells clients (--advertise), e.g. a per-client proxy. Default: its URL. */
  advertiseFor?: (nodeId: number, nodes: readonly ClusterNode[]) => string
  /**
   * Serve wss:// with the certificates scripts/make-certs.sh made in `certsDir`
   * (node N presents broker-N, trusts ca.crt). The harness's own requests trust
   * ca.crt and present `client.crt`.
   */
  tls?: {
    certsDir: string
    clientAuth?: 'required' | 'requested' | 'none'
    /** Where node N's broker-N certificate and key come from, read at each (re)start (default certsDir): a test can swap one in. */
    nodeCertsDir?: (nodeId: number) => string
  }
  /** The cluster secret file: default a fresh random one in the data dir; false = none (cluster-internal APIs open). */
  clusterSecretFile?: string | false
  /**
   * How the harness's own requests (request(), metadata()) authenticate: 'anonymous'
   * (default; what a client without credentials gets) or 'broker' (with the cluster
   * secret), for clusters that require client SASL of every connection.
   */
  harnessAuth?: 'anonymous' | 'broker'
}

/** PEM files of a make-certs.sh directory, as Node's tls options take them. */
export interface TlsMaterial { ca: Buffer; cert?: Buffer; key?: Buffer }

/** Trust the directory's CA; present `identity` (e.g. client, broker-1) when given. */
export function tlsMaterial(certsDir: string, identity?: string): TlsMaterial {
  const read = (f: string) => readFileSync(path.join(certsDir, f))
  return { ca: read('ca.crt'), ...(identity ? { cert: read(`${identity}.crt`), key: read(`${identity}.key`) } : {}) }
}

/** The broker id the harness claims when it authenticates as a broker (no real node has it). */
export const HARNESS_BROKER_ID = 2 ** 31 - 1

export interface ClusterNode {
  readonly nodeId: number
  readonly port: number
  /** ws://127.0.0.1:port (wss:// with tls) */
  readonly url: string
  readonly dataDir: string
  process: ChildProcess | null
  /** The newest stderr lines (JSON logs). */
  readonly logs: string[]
}

export interface WaitOptions { timeoutMs?: number; intervalMs?: number; message?: string }

export interface TestCluster {
  readonly nodes: ClusterNode[]
  /** ws:// URLs of every node. */
  readonly bootstrap: string[]
  node(nodeId: number): ClusterNode
  /** Send a signal (default SIGKILL) and wait for the process to exit (unless SIGSTOP/SIGCONT); resolves with the exit code (null if killed by a signal). */
  kill(nodeId: number, signal?: NodeJS.Signals): Promise<number | null>
  /** Start a stopped node again on the same port and data dir; waits for /readyz unless ready: false. */
  restart(nodeId: number, opts?: { ready?: boolean }): Promise<void>
  pause(nodeId: number): void
  resume(nodeId: number): void
  waitReady(nodeId: number, timeoutMs?: number): Promise<void>
  /** GET a path on the node's HTTP side. */
  http(nodeId: number, urlPath: string): Promise<{ status: number; text: string }>
  /** A request over a fresh connection to `nodeId` (closed afterwards). */
  request<B = any>(nodeId: number, apiKey: number, body: unknown, timeoutMs?: number): Promise<{ errorCode: number; body: B }>
  /** The cluster secret file every node was given (null: none). */
  readonly secretFile: string | null
  /** A connection to `nodeId` authenticated as a broker of this cluster (replica and debug reads); plain when there is no secret. */
  brokerRpc(nodeId: number, opts?: { requestTimeoutMs?: number }): Promise<RpcConnection>
  metadata(nodeId: number): Promise<MetadataResponse>
  /** Poll `cond` until it returns a truthy value; rejects with the message and recent logs at the deadline. */
  waitFor<T>(cond: () => T | Promise<T>, opts?: WaitOptions): Promise<NonNullable<T>>
  /** Kill every node (SIGKILL) and remove temp data. */
  stop(): Promise<void>
  /** With `tls`: what the harness trusts and presents (pass to rpc() and to SDK clients). */
  readonly clientTls?: TlsMaterial
}

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

/** A free TCP port on 127.0.0.1 (bind 0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

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
  child.stderr!.setEncoding('utf8')
  let partial = ''
  child.stderr!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop() ?? ''
    logs.push(...lines)
    if (logs.length > LOG_LINES_MAX) logs.splice(0, logs.length - LOG_LINES_MAX)
  })
  return {
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const child of live) {
      try { child.kill('SIGKILL') } catch { /* already gone */ }
    }
  })
}

/** Real time passing (a paced schedule step); a negative `ms` resolves on the next timer turn. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
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

export async function startCluster(opts: ClusterOptions = {}): Promise<TestCluster> {
  if (!existsSync(BROKER_BIN)) throw new Error(`${BROKER_BIN} is missing: run \`npm run build\` (or npx tsc -b packages/cli) first`)
  installExitHook()
  const count = opts.nodes ?? 3
  const voterCount = opts.voters ?? count
  const ownDir = opts.dataDir === undefined
  const root = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'tributary-e2e-')))
  const ports: number[] = []
  while (ports.length < count) {
    const p = await freePort()
    if (!ports.includes(p)) ports.push(p)
  }
  const scheme = opts.tls ? 'wss' : 'ws'
  const ownTls = opts.tls ? tlsMaterial(opts.tls.certsDir, 'client') : undefined
  const nodes: ClusterNode[] = ports.map((port, i) => ({
    nodeId: i + 1, port, url: `${scheme}://127.0.0.1:${port}`, dataDir: path.join(root, `node-${i + 1}`), process: null, logs: [],
  }))
  const voters = nodes.slice(0, voterCount).map((n) => `${n.nodeId}@${n.url}`).join(',')
  const secretFile = opts.clusterSecretFile === false ? null : opts.clusterSecretFile ?? (await makeSecretFile(root))
  const echo = process.env.TRIBUTARY_E2E_LOGS === '1'

  const node = (id: number): ClusterNode => {
    const n = nodes.find((x) => x.nodeId === id)
    if (!n) throw new Error(`no node ${id}`)
    return n
  }

  const spawnNode = async (n: ClusterNode): Promise<void> => {
    await mkdir(n.dataDir, { recursive: true })
    const extra = typeof opts.brokerArgs === 'function' ? opts.brokerArgs(n.nodeId) : opts.brokerArgs ?? []
    const own = opts.votersFor?.(n.nodeId, nodes) ?? voters
    const advertise = opts.advertiseFor ? ['--advertise', opts.advertiseFor(n.nodeId, nodes)] : []
    const tlsArgs = opts.tls ? tlsBrokerArgs(opts.tls.certsDir, n.nodeId, opts.tls.clientAuth, opts.tls.nodeCertsDir?.(n.nodeId)) : []
    const secret = secretFile ? ['--cluster-secret-file', secretFile] : []
    const args = [BROKER_BIN, 'broker', '--node-id', String(n.nodeId), '--listen', n.url, ...advertise, '--data-dir', n.dataDir, '--voters', own, '--log-level', opts.logLevel ?? 'info', ...tlsArgs, ...secret, ...extra]
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...opts.env, TRIBUTARY_EXIT_WITH_PARENT: '1' },
      stdio: ['pipe', 'ignore', 'pipe'],
    })
    live.add(child)
    n.process = child
    if (opts.logDir) {
      await mkdir(opts.logDir, { recursive: true })
      child.stderr!.pipe(createWriteStream(path.join(opts.logDir, `node-${n.nodeId}.log`), { flags: 'a' }))
    }
    let partial = ''
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (chunk: string) => {
      if (echo) process.stderr.write(chunk)
      const lines = (partial + chunk).split('\n')
      partial = lines.pop() ?? ''
      n.logs.push(...lines)
      if (n.logs.length > LOG_LINES_MAX) n.logs.splice(0, n.logs.length - LOG_LINES_MAX)
    })
    child.once('exit', () => {
      live.delete(child)
      if (n.process === child) n.process = null
    })
  }

  const http = async (id: number, urlPath: string): Promise<{ status: number; text: string }> => {
    if (ownTls) return httpsGet(node(id).port, urlPath, ownTls)
    const res = await fetch(`http://127.0.0.1:${node(id).port}${urlPath}`, { signal: AbortSignal.timeout(5000) })
    return { status: res.status, text: await res.text() }
  }

  const recentLogs = (lines = 15): string =>
    nodes.map((n) => `--- node ${n.nodeId} (${n.process ? `pid ${n.process.pid}` : 'stopped'})\n${n.logs.slice(-lines).join('\n')}`).join('\n')

  const waitFor = async <T>(cond: () => T | Promise<T>, w: WaitOptions = {}): Promise<NonNullable<T>> => {
    const deadline = Date.now() + (w.timeoutMs ?? 20_000)
    let lastError: unknown
    for (;;) {
      try {
        const v = await cond()
        if (v) return v as NonNullable<T>
      } catch (err) {
        lastError = err
      }
      if (Date.now() > deadline) {
        const why = lastError ? ` (last error: ${(lastError as Error).message})` : ''
        throw new Error(`timed out waiting for ${w.message ?? 'condition'}${why}\n${recentLogs()}`)
      }
      await sleep(w.intervalMs ?? 50)
    }
  }

  const waitReady = async (id: number, timeoutMs = opts.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT): Promise<void> => {
    await waitFor(async () => {
      if (!node(id).process) throw new Error(`node ${id} exited`)
      return (await http(id, '/readyz')).status === 200
    }, { timeoutMs, message: `node ${id} /readyz` })
  }

  const kill = async (id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> => {
    const child = node(id).process
    if (!child) return null
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      child.kill(signal)
      return null
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill(signal)
    return exited
  }

  const cluster: TestCluster = {
    nodes,
    bootstrap: nodes.map((n) => n.url),
    clientTls: ownTls,
    node,
    kill,
    async restart(id, r = {}) {
      const n = node(id)
      if (n.process) await kill(id, 'SIGKILL')
      await spawnNode(n)
      if (r.ready !== false) await waitReady(id)
    },
    pause: (id) => { node(id).process?.kill('SIGSTOP') },
    resume: (id) => { node(id).process?.kill('SIGCONT') },
    waitReady,
    http,
    async request(id, apiKey, body, timeoutMs = 10_000) {
      const c = await rpc(node(id).url, { requestTimeoutMs: timeoutMs, tls: ownTls, secretFile: opts.harnessAuth === 'broker' ? secretFile : null })
      try {
        return await c.request(apiKey, body)
      } finally {
        c.close()
      }
    },
    secretFile,
    brokerRpc: (id, o = {}) => rpc(node(id).url, { ...o, tls: ownTls, secretFile }),
    async metadata(id) {
      const r = await cluster.request<MetadataResponse>(id, ApiKey.Metadata, {})
      if (r.errorCode !== 0) throw new Error(`Metadata from node ${id}: error ${r.errorCode}`)
      return r.body
    },
    waitFor,
    async stop() {
      await Promise.all(nodes.map(async (n) => {
        if (!n.process) return
        n.process.kill('SIGCONT')
        await kill(n.nodeId, 'SIGKILL')
      }))
      if (ownDir) await rm(root, { recursive: true, force: true })
    },
  }

  try {
    await opts.beforeStart?.(nodes)
    const first = nodes.slice(0, opts.startNodes ?? count)
    for (const n of first) await spawnNode(n)
    await Promise.all(first.map((n) => waitReady(n.nodeId)))
  } catch (err) {
    await cluster.stop()
    throw err
  }
  return cluster
}
