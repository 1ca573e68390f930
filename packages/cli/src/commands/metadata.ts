/**
 * `tributary metadata status|replication|brokers|log|image|snapshots`: the
 * metadata quorum as one node sees it (the first --bootstrap URL), or, with
 * --offline --data-dir DIR, as a stopped node left it on disk.
 */
import type { Argv } from 'yargs'
import type { MetadataLogEntry } from '@tributary/protocol'
import { nonNegativeInt } from '../args.js'
import { openPort } from '../connect.js'
import { UsageError } from '../errors.js'
import { printJson, println } from '../io.js'
import { brokerRows, brokersJson, LOG_FOLLOW_WIDTHS, logHeader, logLines, quorumStatus, quorumStatusJson, renderQuorumStatus, renderRows, renderTree, replicationRowJson, replicationRows, selectPath } from '../metadata-view.js'
import { openOffline, type MetadataSource } from '../offline.js'
import { runCommand, sleep, type Ctx, type Runtime } from '../runtime.js'
import { votersCommand } from './metadata-voters.js'
import { formatTable } from '../table.js'

/** Records asked for per MetadataLog request. */
export const LOG_PAGE_RECORDS = 1000
const FOLLOW_POLL_MS = 500

interface SourceArgs { offline: boolean; dataDir?: string }
interface LogArgs extends SourceArgs { from: string; follow: boolean; type?: string[]; limit?: string }
interface ImageArgs extends SourceArgs { path?: string }

export function metadataCommand(y: Argv, rt: Runtime): Argv {
  const source = (c: Argv): Argv =>
    c
      .option('offline', { type: 'boolean', default: false, describe: 'read a stopped node\'s LevelDB instead of asking a live node' })
      .option('data-dir', { type: 'string', describe: 'with --offline: the node\'s data directory' })
  return y.command('metadata', 'inspect the metadata quorum (Raft): status, replication, brokers, log, image, snapshots', (m) =>
    m
      .command('status', 'quorum summary: leader, epoch, high watermark, follower lag, voters, observers', source, runCommand<SourceArgs>(rt, status))
      .command('replication', 'one row per quorum member: log end offset, lag, fetch times, role', source, runCommand<SourceArgs>(rt, replication))
      .command('brokers', 'registered brokers: endpoint, epoch, fenced, last heartbeat', source, runCommand<SourceArgs>(rt, brokers))
      .command(
        'log',
        'decoded metadata records with index and term',
        (c) =>
          source(c)
            .option('from', { type: 'string', default: 0, describe: 'first Raft index to print' })
            .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'keep printing new records (Ctrl-C stops)' })
            .option('type', { alias: 't', type: 'string', array: true, describe: 'only these record types (e.g. Topic,Partition)' })
            .option('limit', { type: 'string', describe: 'stop after this many records' }),
        runCommand<LogArgs>(rt, log),
      )
      .command(
        'image',
        'the applied metadata image (brokers, topics, partitions, configs)',
        (c) => source(c).option('path', { type: 'string', describe: 'print only this branch, e.g. topics/orders or brokers/1' }),
        runCommand<ImageArgs>(rt, image),
      )
      .command('snapshots', 'this node\'s metadata snapshots', source, runCommand<SourceArgs>(rt, snapshots))
      .command(votersCommand(rt))
      .demandCommand(1, 'give a metadata subcommand: status, replication, brokers, log, image, snapshots or voters'),
  )
}

async function sourceOf(a: SourceArgs, ctx: Ctx): Promise<MetadataSource> {
  if (a.offline) {
    if (!a.dataDir) throw new UsageError('--offline needs --data-dir DIR (the stopped node\'s data directory)')
    const src = await openOffline(a.dataDir, (path) => ctx.io.stderr.write(`reading the node in ${path}\n`))
    ctx.defer(() => src.close())
    return src
  }
  if (a.dataDir) throw new UsageError('--data-dir is only read with --offline')
  return openPort(ctx, { pinned: true })
}

async function status(a: SourceArgs, ctx: Ctx): Promise<void> {
  const s = quorumStatus(await (await sourceOf(a, ctx)).describeQuorum(), Date.now())
  if (ctx.json) printJson(ctx.io, quorumStatusJson(s))
  else println(ctx.io, renderQuorumStatus(s))
}

async function replication(a: SourceArgs, ctx: Ctx): Promise<void> {
  const rows = replicationRows(await (await sourceOf(a, ctx)).describeQuorum())
  if (ctx.json) printJson(ctx.io, rows.map(replicationRowJson))
  else println(ctx.io, renderRows(rows, ['NodeId', 'LogEndOffset', 'Lag', 'LastFetchTimestamp', 'LastCaughtUpTimestamp', 'Status']))
}

async function brokers(a: SourceArgs, ctx: Ctx): Promise<void> {
  const cluster = await (await sourceOf(a, ctx)).describeCluster()
  if (ctx.json) printJson(ctx.io, brokersJson(cluster))
  else println(ctx.io, renderRows(brokerRows(cluster)))
}

async function log(a: LogArgs, ctx: Ctx): Promise<void> {
  const src = await sourceOf(a, ctx)
  if (a.follow && a.offline) throw new UsageError('--follow needs a live node (not --offline)')
  const types = new Set((a.type ?? []).flatMap((t) => String(t).split(',')).map((t) => t.trim()).filter(Boolean))
  const limit = a.limit === undefined ? Infinity : nonNegativeInt('limit', a.limit)
  let from = nonNegativeInt('from', a.from)
  let printed = 0
  let headerDone = false
  let warnedCompacted = false
  const emit = (entries: MetadataLogEntry[]): void => {
    const shown = (types.size ? entries.filter((e) => types.has(e.type)) : entries).slice(0, Math.max(0, limit - printed))
    printed += shown.length
    if (ctx.json) {
      for (const e of shown) printJson(ctx.io, e)
      return
    }
    if (shown.length === 0) return
    // Every page is sized alike (wide enough for any index and term a log will reach), so pages line up under one header.
    if (!headerDone) println(ctx.io, logHeader(shown, LOG_FOLLOW_WIDTHS))
    headerDone = true
    for (const line of logLines(shown, LOG_FOLLOW_WIDTHS)) println(ctx.io, line)
  }
  for (;;) {
    const page = await src.metadataLog(from, LOG_PAGE_RECORDS)
    if (from < page.logStartIndex && page.logStartIndex > 1 && !warnedCompacted) {
      warnedCompacted = true
      ctx.io.stderr.write(`note: entries before ${page.logStartIndex} are compacted into a snapshot (see \`metadata image\`)\n`)
    }
    emit(page.entries)
    if (printed >= limit) return
    const last = page.entries.at(-1)
    from = last ? last.index + 1 : Math.max(from, page.logStartIndex)
    // The page's size says nothing about the end (entries are never split): the commit index does.
    if (last && last.index < page.commitIndex) continue
    if (!a.follow) return
    await sleep(FOLLOW_POLL_MS, ctx.signal)
    if (ctx.signal.aborted) return
  }
}

async function image(a: ImageArgs, ctx: Ctx): Promise<void> {
  const r = await (await sourceOf(a, ctx)).metadataImage()
  const selected = selectPath(r.image, a.path)
  if (ctx.json) printJson(ctx.io, a.path ? selected : { offset: r.offset, image: r.image })
  else println(ctx.io, renderTree(selected).join('\n'))
}

async function snapshots(a: SourceArgs, ctx: Ctx): Promise<void> {
  const r = await (await sourceOf(a, ctx)).metadataSnapshots()
  if (ctx.json) printJson(ctx.io, r.snapshots)
  else if (r.snapshots.length === 0) println(ctx.io, 'no snapshots')
  else println(ctx.io, formatTable(['INDEX', 'TERM', 'BYTES'], r.snapshots.map((s) => [s.index, s.term, s.bytes])))
}
