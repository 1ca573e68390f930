/**
 * Broker processes for `bench cluster`: `tributary broker` children on
 * 127.0.0.1 with OS-chosen free ports and a temp data dir, removed by stop().
 *
 * A child never outlives us: stop() kills it, a process 'exit' hook kills it,
 * and TRIBUTARY_EXIT_WITH_PARENT makes it exit when the stdin pipe we hold
 * closes (which also covers this process being SIGKILLed).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import https from 'node:https'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BROKER_ENV, BROKER_NODE_ARGS, brokerBinPath } from '../commands/dev.js'
import { sleep } from '../runtime.js'

/** stderr lines kept per node (the newest), for failure reports. */
const LOG_LINES_MAX = 200
export const READY_TIMEOUT_MS = 30_000
const READY_POLL_MS = 10

export interface LocalNode {
  readonly id: number
  readonly port: number
  readonly url: string
  readonly dataDir: string
  child: ChildProcess | null
  readonly logs: string[]
  /** stderr lines at warn or above (pino level >= 40), over every life of the node */
  warnings: number
  /** 'broker fenced' lines (written by whichever node was the controller) */
  fencings: number
  /** warn-or-above lines by message, over every life of the node */
  readonly warningsByMsg: Map<string, number>
}

/** A pino JSON line's msg ('' when none). */
function msgOf(line: string): string {
  return /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? ''
}

/** A pino JSON line's level (0 when the line is not one). */
function levelOf(line: string): number {
  const m = /"level":(\d+)/.exec(line)
  return m ? Number(m[1]) : 0
}

const live = new Set<ChildProcess>()
let exitHook = false

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

export interface Rss {
  /** VmRSS: everything resident, LevelDB's mmap-ed table files included. */
  total: number
  /** RssAnon: heap, stacks, buffers: the memory the process owns. */
  anon: number
}

/** Resident memory of a process in bytes (Linux /proc), zeros when unknown. */
export function rssOf(pid: number | undefined): Rss {
  if (pid === undefined) return { total: 0, anon: 0 }
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024
    return { total: kb('VmRSS'), anon: kb('RssAnon') }
  } catch {
    return { total: 0, anon: 0 }
  }
}

/** Linux's clock ticks per second for /proc/<pid>/stat times (USER_HZ: 100 on every Linux build in use). */
const USER_HZ = 100

/** CPU time (user + system) a process has used, in ms (Linux /proc); 0 when unknown. */
export function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    // the fields after the command name (which may hold spaces), from field 3 on: utime and stime are fields 14 and 15
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ
  } catch {
    return 0
  }
}

export class LocalCluster {
  private constructor(
    readonly nodes: LocalNode[],
    private readonly root: string,
    private readonly args: (n: LocalNode) => string[],
    private readonly env: Record<string, string>,
    private readonly execArgv: string[],
    private readonly ca: Buffer | undefined,
  ) {}

  /**
   * `tlsCertsDir`: a make-certs.sh directory; the nodes serve wss:// with broker-N,
   * trust its CA and ask peers for their certificate (`requested`), as a secured
   * cluster whose clients authenticate by SASL would.
   */
  /** `nodeArgs`: arguments of one node only (its own Kafka port, say), after `brokerArgs`. */
  static async start(opts: { nodes: number; brokerArgs?: string[]; nodeArgs?: (nodeId: number) => string[]; env?: Record<string, string>; execArgv?: string[]; tlsCertsDir?: string }): Promise<LocalCluster> {
    if (!exitHook) {
      exitHook = true
      process.on('exit', () => {
        for (const c of live) c.kill('SIGKILL')
      })
    }
    const root = await mkdtemp(join(tmpdir(), 'tributary-bench-'))
    const ports: number[] = []
    while (ports.length < opts.nodes) {
      const p = await freePort()
      if (!ports.includes(p)) ports.push(p)
    }
    const certs = opts.tlsCertsDir
    const scheme = certs ? 'wss' : 'ws'
    const nodes: LocalNode[] = ports.map((port, i) => ({ id: i + 1, port, url: `${scheme}://127.0.0.1:${port}`, dataDir: join(root, `node-${i + 1}`), child: null, logs: [], warnings: 0, fencings: 0, warningsByMsg: new Map() }))
    const voters = nodes.map((n) => `${n.id}@${n.url}`).join(',')
    const tlsArgs = (n: LocalNode): string[] =>
      certs ? ['--tls-cert', join(certs, `broker-${n.id}.crt`), '--tls-key', join(certs, `broker-${n.id}.key`), '--tls-ca', join(certs, 'ca.crt'), '--tls-client-auth', 'requested'] : []
    const args = (n: LocalNode): string[] => ['broker', '--node-id', String(n.id), '--listen', n.url, '--data-dir', n.dataDir, '--voters', voters, '--log-level', 'warn', ...tlsArgs(n), ...(opts.brokerArgs ?? []), ...(opts.nodeArgs?.(n.id) ?? [])]
    const cluster = new LocalCluster(nodes, root, args, opts.env ?? {}, opts.execArgv ?? [], certs ? readFileSync(join(certs, 'ca.crt')) : undefined)
    try {
      for (const n of nodes) await cluster.spawn(n)
      await Promise.all(nodes.map((n) => cluster.waitReady(n.id)))
    } catch (err) {
      await cluster.stop()
      throw err
    }
    return cluster
  }

  get bootstrap(): string[] {
    return this.nodes.map((n) => n.url)
  }

  node(id: number): LocalNode {
    const n = this.nodes.find((x) => x.id === id)
    if (!n) throw new Error(`no node ${id}`)
    return n
  }

  /** Start a stopped node again on its port and data dir (does not wait for readiness). */
  async spawn(n: LocalNode): Promise<void> {
    await mkdir(n.dataDir, { recursive: true })
    const child = spawn(process.execPath, [...BROKER_NODE_ARGS, ...this.execArgv, brokerBinPath(), ...this.args(n)], {
      env: { ...BROKER_ENV, ...process.env, ...this.env, TRIBUTARY_EXIT_WITH_PARENT: '1' },
      stdio: ['pipe', 'ignore', 'pipe'],
    })
    live.add(child)
    n.child = child
    child.stderr!.setEncoding('utf8')
    let partial = '' // a chunk may end mid-line
    child.stderr!.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n')
      partial = parts.pop()!
      const lines = parts.filter(Boolean)
      for (const line of lines) {
        if (levelOf(line) >= 40) {
          n.warnings++
          const msg = msgOf(line)
          n.warningsByMsg.set(msg, (n.warningsByMsg.get(msg) ?? 0) + 1)
        }
        if (line.includes('"msg":"broker fenced"')) n.fencings++
      }
      n.logs.push(...lines)
      if (n.logs.length > LOG_LINES_MAX) n.logs.splice(0, n.logs.length - LOG_LINES_MAX)
    })
    child.once('exit', () => {
      live.delete(child)
      if (n.child === child) n.child = null
    })
  }

  /** The CA a client must trust (TLS clusters). */
  get tlsCa(): Buffer | undefined {
    return this.ca
  }

  async ready(id: number): Promise<boolean> {
    if (this.ca) return this.readyOverTls(id)
    try {
      const res = await fetch(`http://127.0.0.1:${this.node(id).port}/readyz`, { signal: AbortSignal.timeout(2_000) })
      await res.arrayBuffer()
      return res.status === 200
    } catch {
      return false
    }
  }

  /** /readyz over https:// (fetch cannot be given a CA). */
  private readyOverTls(id: number): Promise<boolean> {
    return new Promise((resolve) => {
      const req = https.get({ host: '127.0.0.1', port: this.node(id).port, path: '/readyz', ca: this.ca, timeout: 2_000 }, (res) => {
        res.resume().once('end', () => resolve(res.statusCode === 200))
      })
      req.once('timeout', () => req.destroy())
      req.once('error', () => resolve(false))
    })
  }

  async waitReady(id: number, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = performance.now() + timeoutMs
    const n = this.node(id)
    while (!(await this.ready(id))) {
      if (!n.child) throw new Error(`node ${id} exited before it was ready:\n${n.logs.slice(-10).join('\n')}`)
      if (performance.now() > deadline) throw new Error(`node ${id} not ready within ${timeoutMs} ms:\n${n.logs.slice(-10).join('\n')}`)
      await sleep(READY_POLL_MS)
    }
  }

  /** Signal a node and wait for it to exit. */
  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.node(id).child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill(signal)
    await exited
  }

  rss(): Rss[] {
    return this.nodes.map((n) => rssOf(n.child?.pid))
  }

  /** CPU time every running node has used, summed, in ms. */
  cpuMs(): number {
    return this.nodes.reduce((sum, n) => sum + cpuMsOf(n.child?.pid), 0)
  }

  /** Kill every node and remove the data. Safe to call twice. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n.id, signal)))
    await rm(this.root, { recursive: true, force: true })
  }
}
