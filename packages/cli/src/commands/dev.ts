/**
 * `tributary dev`: a local cluster of combined nodes in the foreground. Each
 * node is a child `tributary broker` process (ports base, base+1, ...; data in
 * DATA/node-N; output in DATA/node-N.log). A status line follows the quorum.
 * SIGINT/SIGTERM stop every node: SIGTERM, wait, SIGKILL after a deadline.
 * Rerunning with the same --data-dir resumes on the same data.
 *
 * From a second terminal, `dev stop|start|restart <node>` acts on one node of
 * the running dev (through its control socket, dev-control.ts); the status line
 * counts every node that serves on its port, also one restarted by hand.
 *
 * The nodes share a cluster secret, DATA/cluster.secret (random, mode 0600,
 * made on the first run and reused after), so only they can call
 * cluster-internal APIs on each other (SECURITY.md).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Argv } from 'yargs'
import { intFlag } from '../args.js'
import { CliError, UsageError } from '../errors.js'
import { println, type Io } from '../io.js'
import { closeProbes } from '../node-rpc.js'
import { runCommand, sleep, type Ctx, type Runtime } from '../runtime.js'
import { DEV_ACTIONS, sendControl, serveControl, type ControlHandler, type DevAction } from './dev-control.js'
import { pollStatus, statusLine, type DevStatus } from './dev-status.js'

export const DEV_NODES_MAX = 9
/** Node N's Kafka listener is on base-port + this + N - 1 (9192, 9193, 9194 by default). */
export const DEV_KAFKA_PORT_OFFSET = 100
/** How long stopping nodes may take before SIGKILL. */
export const DEV_STOP_DEADLINE_MS = 10_000
const STATUS_POLL_MS = 500
const DEV_HOST = '127.0.0.1'
/** The cluster secret's file name in the data dir, and its size (256 bits, hex: what `openssl rand -hex 32` makes). */
export const DEV_SECRET_FILE = 'cluster.secret'
const DEV_SECRET_BYTES = 32

interface DevArgs {
  action?: DevAction
  node?: string
  nodes: string
  /** How many of the nodes (the first ones) vote; the rest are broker-only. Default: all. */
  voters?: string
  dataDir: string
  basePort: string
  logLevel: string
}

interface Node {
  id: number
  url: string
  /** host:port of its Kafka listener */
  kafka: string
  dataDir: string
  logPath: string
  child: ChildProcess
  exit: Promise<number | null>
  exited: boolean
  /** Stopped with `dev stop`: not a crash to report, and not a reason for dev to end. */
  stoppedByHand: boolean
}

export function devCommand(y: Argv, rt: Runtime): Argv {
  return y.command(
    'dev [action] [node]',
    'run a local cluster of combined nodes in the foreground (Ctrl-C stops it); from another terminal, `dev stop|start|restart <node>` acts on one of its nodes',
    (c) =>
      c
        .positional('action', { choices: DEV_ACTIONS, describe: 'act on one node of the dev running on --data-dir' })
        .positional('node', { type: 'string', describe: 'with an action: the node id' })
        .option('nodes', { type: 'string', default: 3, describe: `number of nodes (1..${DEV_NODES_MAX})` })
        .option('voters', { type: 'string', describe: 'how many of them (nodes 1..V) vote in the metadata quorum; the rest run --process-roles broker (default: all)' })
        .option('data-dir', { type: 'string', default: '.tributary', describe: 'parent directory of node-N data dirs and logs' })
        .option('base-port', { type: 'string', default: 9092, describe: 'node N listens on base-port + N - 1, its Kafka listener on base-port + 100 + N - 1' })
        .option('log-level', { type: 'string', default: 'info', describe: 'log level of each node' }),
    runCommand<DevArgs>(rt, (a, ctx) => (a.action ? controlDev(a, ctx) : runDev(a, ctx))),
  )
}

/** `dev stop|start|restart <node>`: ask the running dev to do it, and print its answer. */
async function controlDev(a: DevArgs, ctx: Ctx): Promise<void> {
  if (a.node === undefined) throw new UsageError(`missing <node>: tributary dev ${a.action} <node>`)
  const nodeId = intFlag('node', a.node, 1, DEV_NODES_MAX)
  const answer = await sendControl(resolve(a.dataDir), a.action!, nodeId)
  if (ctx.json) printLine(ctx.io, JSON.stringify({ action: a.action, nodeId, result: answer }))
  else println(ctx.io, answer)
}

export function brokerBinPath(): string {
  return fileURLToPath(new URL('../bin.js', import.meta.url))
}

/**
 * How we run a broker process (`npm start`, `bench cluster`; the Docker image sets
 * the same). Measured in RF 3 produce runs (packages/cli/PERFORMANCE.md), each takes
 * 20-30 MiB off a broker's resident memory:
 * - a 4 MiB young generation (Node's default grows it to 16 MiB) keeps the heap
 *   near 24 MiB instead of 32-49;
 * - one malloc arena instead of one per thread: LevelDB's writes run on libuv's
 *   pool threads, and every arena kept its own freed memtable blocks (a second RF 3
 *   run peaked at 197-216 MiB with two arenas, 178-201 with one, at the same pace).
 */
export const BROKER_NODE_ARGS: readonly string[] = ['--max-semi-space-size=4']
export const BROKER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' }

async function runDev(argv: DevArgs, ctx: Ctx): Promise<void> {
  const count = intFlag('nodes', argv.nodes, 1, DEV_NODES_MAX)
  if (argv.node !== undefined) throw new UsageError(`unexpected '${argv.node}': give an action first (tributary dev ${DEV_ACTIONS.join('|')} <node>)`)
  const basePort = intFlag('base-port', argv.basePort, 1, 65535)
  if (basePort + DEV_KAFKA_PORT_OFFSET + count - 1 > 65535) {
    throw new UsageError(`--base-port: ${basePort} + ${count} nodes runs past port 65535 (Kafka listeners take base-port + ${DEV_KAFKA_PORT_OFFSET} onwards)`)
  }
  const dataDir = resolve(argv.dataDir)
  const ids = Array.from({ length: count }, (_, i) => i + 1)
  const urlOf = (id: number): string => `ws://${DEV_HOST}:${basePort + id - 1}`
  const kafkaOf = (id: number): string => `${DEV_HOST}:${basePort + DEV_KAFKA_PORT_OFFSET + id - 1}`

  checkLayout(dataDir, count, basePort)
  for (const port of ids.flatMap((id) => [basePort + id - 1, basePort + DEV_KAFKA_PORT_OFFSET + id - 1])) {
    if (!(await portFree(DEV_HOST, port))) {
      throw new CliError(`port ${port} on ${DEV_HOST} is in use (another cluster running?); stop it or pass --base-port`)
    }
  }
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(join(dataDir, 'dev.json'), JSON.stringify({ nodes: count, basePort }, null, 2) + '\n')
  const secretFile = devClusterSecret(dataDir)

  const voterCount = argv.voters === undefined ? count : intFlag('voters', argv.voters, 1, count)
  const voters = ids.slice(0, voterCount).map((id) => `${id}@${urlOf(id)}`).join(',')
  const spawnNode = (id: number): Node => startNode(id, urlOf(id), kafkaOf(id), dataDir, voters, argv.logLevel, secretFile, id > voterCount)
  const nodes = ids.map(spawnNode)
  const bootstrap = nodes.map((n) => n.url).join(',')
  const stopAll = (): void => killAll(nodes)
  process.once('exit', stopAll) // a crash of this process must not leave orphans bound to the ports

  const { io } = ctx
  if (ctx.json) {
    printLine(io, JSON.stringify({ event: 'started', bootstrap, dataDir, kafkaBootstrap: nodes.map((n) => n.kafka).join(','), clusterSecretFile: secretFile, nodes: nodes.map((n) => ({ nodeId: n.id, url: n.url, kafka: n.kafka, dataDir: n.dataDir, log: n.logPath, pid: n.child.pid })) }))
  } else {
    println(io, `tributary dev: ${count} node${count > 1 ? 's' : ''}, data in ${argv.dataDir}`)
    for (const n of nodes) println(io, `  node ${n.id}  ${n.url}  kafka ${n.kafka}  pid ${n.child.pid}  log ${join(argv.dataDir, `node-${n.id}.log`)}`)
    println(io, `cluster secret: ${join(argv.dataDir, DEV_SECRET_FILE)} (only these nodes can call cluster-internal APIs)`)
    println(io, `bootstrap: ${bootstrap}`)
    println(io, `  export TRIBUTARY_BOOTSTRAP=${bootstrap}`)
    println(io, `Kafka clients (kcat, KafkaJS, librdkafka): bootstrap.servers=${nodes.map((n) => n.kafka).join(',')}`)
    println(io, `web console: ${nodes[0].url.replace(/^ws/, 'http')}/ (every node serves it)`)
    println(io, 'Ctrl-C stops every node.')
  }
  const control = await serveControl(dataDir, controlNodes(nodes, spawnNode, ctx))
  if (control) ctx.defer(() => control.close())
  if (control && !ctx.json) println(io, `Another terminal: tributary dev stop|start|restart <node>${argv.dataDir === '.tributary' ? '' : ` --data-dir ${argv.dataDir}`}`)
  else if (!control && !ctx.json) println(io, `(no control socket: ${dataDir} is too long a path for one; dev stop|start|restart are not available)`)

  try {
    await followStatus(nodes, ctx)
  } finally {
    await closeProbes()
    await stopNodes(nodes, ctx)
    process.off('exit', stopAll)
  }
  if (nodes.every((n) => n.exited) && !ctx.signal.aborted) {
    throw new CliError(`every node exited; see ${join(argv.dataDir, 'node-1.log')}`)
  }
}

/** The data dir's cluster secret file: made once (random, owner-only), then reused so restarted nodes still know each other. */
export function devClusterSecret(dataDir: string): string {
  const file = join(dataDir, DEV_SECRET_FILE)
  try {
    writeFileSync(file, `${randomBytes(DEV_SECRET_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  return file
}

/** One data dir belongs to one cluster shape: node ids and ports are stored in each node's metadata. */
function checkLayout(dataDir: string, count: number, basePort: number): void {
  const file = join(dataDir, 'dev.json')
  if (!existsSync(file)) return
  let prev: { nodes?: unknown; basePort?: unknown }
  try {
    prev = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return
  }
  if (prev.nodes !== count || prev.basePort !== basePort) {
    throw new CliError(`${dataDir} holds a cluster of ${String(prev.nodes)} nodes from port ${String(prev.basePort)}; rerun with --nodes ${String(prev.nodes)} --base-port ${String(prev.basePort)} or use another --data-dir`)
  }
}

export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)))
  })
}

function startNode(id: number, url: string, kafka: string, parent: string, voters: string, logLevel: string, secretFile: string, brokerOnly: boolean): Node {
  const dataDir = join(parent, `node-${id}`)
  const logPath = join(parent, `node-${id}.log`)
  mkdirSync(dataDir, { recursive: true })
  const fd = openSync(logPath, 'a')
  const args = [...BROKER_NODE_ARGS, brokerBinPath(), 'broker', '--node-id', String(id), '--listen', url, '--kafka-listen', kafka, '--data-dir', dataDir, '--voters', voters, '--log-level', logLevel, '--cluster-secret-file', secretFile, ...(brokerOnly ? ['--process-roles', 'broker'] : [])]
  // Own process group: the terminal's Ctrl-C reaches only us, and we stop nodes in order.
  // We hold each node's stdin: if we die without cleaning up (SIGKILL), the pipe closes and the node exits.
  const child = spawn(process.execPath, args, { stdio: ['pipe', fd, fd], detached: true, env: { ...BROKER_ENV, ...process.env, TRIBUTARY_EXIT_WITH_PARENT: '1' } })
  closeSync(fd)
  const node: Node = { id, url, kafka, dataDir, logPath, child, exited: false, stoppedByHand: false, exit: Promise.resolve(null) }
  node.exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      node.exited = true
      resolve(code ?? (signal ? 128 : null))
    })
    child.once('error', () => {
      node.exited = true
      resolve(null)
    })
  })
  return node
}

async function followStatus(nodes: Node[], ctx: Ctx): Promise<void> {
  const { io } = ctx
  const tty = io.stdout.isTTY === true && !ctx.json
  let last = ''
  let status: DevStatus | undefined
  const reported = new Set<Node>()
  // Ends when every node's process is gone (not stopped with `dev stop`) and nothing serves on their ports.
  while (!ctx.signal.aborted && !(nodes.every((n) => n.exited && !n.stoppedByHand) && status?.up === 0)) {
    for (const n of nodes) {
      if (n.exited && !n.stoppedByHand && !reported.has(n)) {
        reported.add(n)
        const msg = `node ${n.id} exited (code ${n.child.exitCode ?? n.child.signalCode}); see ${n.logPath}`
        if (ctx.json) printLine(io, JSON.stringify({ event: 'node-exited', nodeId: n.id, code: n.child.exitCode, signal: n.child.signalCode }))
        else printLine(io, (tty ? '\r\x1b[2K' : '') + msg)
        last = ''
      }
    }
    // Every node's port, also of a node whose process exited: one restarted by hand serves there and counts.
    const s = (status = await pollStatus(nodes.map((n) => n.url), ctx.timeoutMs, undefined, status))
    const line = statusLine(s, nodes.length)
    // A terminal line may change every poll; a log gets a line only when leadership or liveness changes.
    const key = tty ? line : statusLine({ ...s, commit: 0 }, nodes.length)
    if (key !== last) {
      if (ctx.json) printLine(io, JSON.stringify({ event: 'status', leaderId: s.leader, term: s.term, commit: s.commit, nodesUp: s.up, nodes: nodes.length }))
      else if (tty) io.stdout.write(`\r\x1b[2K${line}`)
      else printLine(io, line)
      last = key
    }
    await sleep(STATUS_POLL_MS, ctx.signal)
  }
  if (tty) io.stdout.write('\n')
}

/** The running dev's side of `dev stop|start|restart <node>`: one request at a time. */
function controlNodes(nodes: Node[], spawnNode: (id: number) => Node, ctx: Ctx): ControlHandler {
  let busy = false
  const say = (n: Node, event: string, line: string): void => {
    if (ctx.json) printLine(ctx.io, JSON.stringify({ event, nodeId: n.id, pid: n.child.pid }))
    else printLine(ctx.io, (ctx.io.stdout.isTTY ? '\r\x1b[2K' : '') + line)
  }
  const stop = async (n: Node): Promise<void> => {
    n.stoppedByHand = true
    await stopNodes([n], ctx, { quiet: true })
    say(n, 'node-stopped', `node ${n.id} stopped (dev stop)`)
  }
  const start = async (i: number): Promise<Node> => {
    const port = Number(new URL(nodes[i]!.url).port)
    const kafkaPort = Number(nodes[i]!.kafka.split(':').pop())
    for (const p of [port, kafkaPort]) {
      if (!(await portFree(DEV_HOST, p))) throw new CliError(`port ${p} is in use (a node started by hand?); stop that process first`)
    }
    const n = (nodes[i] = spawnNode(i + 1))
    say(n, 'node-started', `node ${n.id} started  pid ${n.child.pid}`)
    return n
  }
  return async (action, nodeId) => {
    const i = nodeId - 1
    const n = nodes[i]
    if (!n) throw new CliError(`no node ${nodeId}: this dev runs nodes 1..${nodes.length}`)
    if (busy) throw new CliError('another dev stop/start/restart is in progress; try again when it ends')
    if (ctx.signal.aborted) throw new CliError('dev is stopping')
    busy = true
    try {
      if (action === 'stop') {
        if (n.exited) throw new CliError(`node ${nodeId} is not running`)
        await stop(n)
        return `node ${nodeId} stopped`
      }
      if (action === 'start' && !n.exited) throw new CliError(`node ${nodeId} is running (pid ${n.child.pid})`)
      if (!n.exited) await stop(n)
      const started = await start(i)
      return `node ${nodeId} ${action === 'start' ? 'started' : 'restarted'} (pid ${started.child.pid}, log ${started.logPath})`
    } finally {
      busy = false
    }
  }
}

function printLine(io: Io, line: string): void {
  io.stdout.write(line + '\n')
}

async function stopNodes(nodes: Node[], ctx: Ctx, opts: { quiet?: boolean } = {}): Promise<void> {
  const running = nodes.filter((n) => !n.exited)
  if (running.length === 0) return
  const quiet = opts.quiet || ctx.json
  if (!quiet) printLine(ctx.io, `stopping ${running.length} node${running.length > 1 ? 's' : ''}...`)
  for (const n of running) signalNode(n, 'SIGTERM')
  const timer = new AbortController()
  const deadline = sleep(DEV_STOP_DEADLINE_MS, timer.signal).then(() => 'deadline' as const)
  // A second Ctrl-C while stopping means "now".
  const again = new Promise<'again'>((resolve) => {
    const h = (): void => resolve('again')
    process.once('SIGINT', h)
    process.once('SIGTERM', h)
    void Promise.all(running.map((n) => n.exit)).then(() => {
      process.off('SIGINT', h)
      process.off('SIGTERM', h)
    })
  })
  const outcome = await Promise.race([Promise.all(running.map((n) => n.exit)).then(() => 'stopped' as const), deadline, again])
  timer.abort()
  if (outcome !== 'stopped') {
    const stuck = running.filter((n) => !n.exited)
    for (const n of stuck) signalNode(n, 'SIGKILL')
    await Promise.all(stuck.map((n) => n.exit))
    if (!quiet) printLine(ctx.io, `killed node${stuck.length > 1 ? 's' : ''} ${stuck.map((n) => n.id).join(',')} (${outcome === 'again' ? 'second signal' : `not stopped within ${DEV_STOP_DEADLINE_MS} ms`})`)
  }
  if (opts.quiet) return
  if (ctx.json) printLine(ctx.io, JSON.stringify({ event: 'stopped' }))
  else printLine(ctx.io, 'stopped')
}

function signalNode(n: Node, sig: NodeJS.Signals): void {
  if (n.exited || n.child.pid === undefined) return
  try {
    process.kill(n.child.pid, sig)
  } catch {
    // already gone
  }
}

function killAll(nodes: Node[]): void {
  for (const n of nodes) signalNode(n, 'SIGKILL')
}
