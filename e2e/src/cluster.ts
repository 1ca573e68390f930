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
import { createWriteStream, existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { ApiKey, type MetadataResponse, type RpcConnection } from '@tributary/protocol'
import { httpsGet, makeSecretFile, rpc, tlsBrokerArgs, tlsMaterial, type TlsMaterial } from './harness-rpc.js'
import { BROKER_BIN, installExitHook, keepLines, live, REPO_ROOT } from './processes.js'

export { HARNESS_BROKER_ID, httpsGet, makeSecretFile, openSocket, rpc, tlsBrokerArgs, tlsMaterial, type TlsMaterial } from './harness-rpc.js'
export { BROKER_BIN, LOG_LINES_MAX, REPO_ROOT, runNode, spawnBroker, type LoneBroker } from './processes.js'

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

/** Real time passing (a paced schedule step); a negative `ms` resolves on the next timer turn. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export async function startCluster(opts: ClusterOptions = {}): Promise<TestCluster> {
  if (!existsSync(BROKER_BIN)) throw new Error(`${BROKER_BIN} is missing: run \`npm run build\` (or npx tsc -b packages/cli) first`)
  installExitHook()
  const layout = await layOut(opts)
  const { nodes, ownTls, secretFile } = layout
  const node = (id: number): ClusterNode => {
    const n = nodes.find((x) => x.nodeId === id)
    if (!n) throw new Error(`no node ${id}`)
    return n
  }
  const http = (id: number, urlPath: string) => httpGet(node(id).port, urlPath, ownTls)
  const recentLogs = (lines = 15): string =>
    nodes.map((n) => `--- node ${n.nodeId} (${n.process ? `pid ${n.process.pid}` : 'stopped'})\n${n.logs.slice(-lines).join('\n')}`).join('\n')
  const waitFor = <T>(cond: () => T | Promise<T>, w: WaitOptions = {}) => pollUntil(cond, w, recentLogs)
  const waitReady = async (id: number, timeoutMs = opts.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT): Promise<void> => {
    await waitFor(async () => {
      if (!node(id).process) throw new Error(`node ${id} exited`)
      return (await http(id, '/readyz')).status === 200
    }, { timeoutMs, message: `node ${id} /readyz` })
  }
  const kill = (id: number, signal: NodeJS.Signals = 'SIGKILL') => signalChild(node(id).process, signal)

  const cluster: TestCluster = {
    nodes,
    bootstrap: nodes.map((n) => n.url),
    clientTls: ownTls,
    node,
    kill,
    async restart(id, r = {}) {
      const n = node(id)
      if (n.process) await kill(id, 'SIGKILL')
      await spawnNode(n, opts, layout)
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
      if (layout.ownDir) await rm(layout.root, { recursive: true, force: true })
    },
  }

  try {
    await opts.beforeStart?.(nodes)
    const first = nodes.slice(0, opts.startNodes ?? nodes.length)
    for (const n of first) await spawnNode(n, opts, layout)
    await Promise.all(first.map((n) => waitReady(n.nodeId)))
  } catch (err) {
    await cluster.stop()
    throw err
  }
  return cluster
}

/** Where a cluster's nodes live before any starts: ports, data dirs, the voters and the secret. */
interface ClusterLayout {
  root: string
  /** The harness made root (a temp dir) and removes it at stop(). */
  ownDir: boolean
  nodes: ClusterNode[]
  /** The default --voters list: every voter at its real URL. */
  voters: string
  secretFile: string | null
  ownTls: TlsMaterial | undefined
}

async function layOut(opts: ClusterOptions): Promise<ClusterLayout> {
  const count = opts.nodes ?? 3
  const ownDir = opts.dataDir === undefined
  const root = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'tributary-e2e-')))
  const ports: number[] = []
  while (ports.length < count) {
    const p = await freePort()
    if (!ports.includes(p)) ports.push(p)
  }
  const scheme = opts.tls ? 'wss' : 'ws'
  const nodes: ClusterNode[] = ports.map((port, i) => ({
    nodeId: i + 1, port, url: `${scheme}://127.0.0.1:${port}`, dataDir: path.join(root, `node-${i + 1}`), process: null, logs: [],
  }))
  const voters = nodes.slice(0, opts.voters ?? count).map((n) => `${n.nodeId}@${n.url}`).join(',')
  const secretFile = opts.clusterSecretFile === false ? null : opts.clusterSecretFile ?? (await makeSecretFile(root))
  const ownTls = opts.tls ? tlsMaterial(opts.tls.certsDir, 'client') : undefined
  return { root, ownDir, nodes, voters, secretFile, ownTls }
}

/** The `tributary broker` command line of node n. */
function brokerArgs(n: ClusterNode, opts: ClusterOptions, layout: ClusterLayout): string[] {
  const extra = typeof opts.brokerArgs === 'function' ? opts.brokerArgs(n.nodeId) : opts.brokerArgs ?? []
  const voters = opts.votersFor?.(n.nodeId, layout.nodes) ?? layout.voters
  const advertise = opts.advertiseFor ? ['--advertise', opts.advertiseFor(n.nodeId, layout.nodes)] : []
  const tlsArgs = opts.tls ? tlsBrokerArgs(opts.tls.certsDir, n.nodeId, opts.tls.clientAuth, opts.tls.nodeCertsDir?.(n.nodeId)) : []
  const secret = layout.secretFile ? ['--cluster-secret-file', layout.secretFile] : []
  return [BROKER_BIN, 'broker', '--node-id', String(n.nodeId), '--listen', n.url, ...advertise, '--data-dir', n.dataDir, '--voters', voters, '--log-level', opts.logLevel ?? 'info', ...tlsArgs, ...secret, ...extra]
}

/** Start node n's process; its stderr goes to n.logs (and to logDir, and to ours with TRIBUTARY_E2E_LOGS=1). */
async function spawnNode(n: ClusterNode, opts: ClusterOptions, layout: ClusterLayout): Promise<void> {
  await mkdir(n.dataDir, { recursive: true })
  const child = spawn(process.execPath, brokerArgs(n, opts, layout), {
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
  const echo = process.env.TRIBUTARY_E2E_LOGS === '1'
  keepLines(child.stderr!, n.logs, echo ? (chunk) => process.stderr.write(chunk) : undefined)
  child.once('exit', () => {
    live.delete(child)
    if (n.process === child) n.process = null
  })
}

/** GET a path on a node's HTTP side (https:// with tls). */
async function httpGet(port: number, urlPath: string, tls: TlsMaterial | undefined): Promise<{ status: number; text: string }> {
  if (tls) return httpsGet(port, urlPath, tls)
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(5000) })
  return { status: res.status, text: await res.text() }
}

/** Send a signal; for any but SIGSTOP/SIGCONT, wait for the exit and resolve with its code. */
async function signalChild(child: ChildProcess | null, signal: NodeJS.Signals): Promise<number | null> {
  if (!child) return null
  if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
    child.kill(signal)
    return null
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill(signal)
  return exited
}

/** Poll `cond` until truthy; at the deadline, fail with the last error and `recentLogs()`. */
async function pollUntil<T>(cond: () => T | Promise<T>, w: WaitOptions, recentLogs: () => string): Promise<NonNullable<T>> {
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
