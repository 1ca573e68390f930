/**
 * Overview: the cluster id and controller, the Raft quorum (leader, term,
 * commit index, each voter's and observer's lag and last contact), the brokers
 * (live or fenced, endpoints, rack, partitions and leaders each), partition
 * health as counts linking to the partitions, and produce/fetch request rates
 * per broker from each node's /metrics. Refreshed every two seconds.
 */
import type { DescribeClusterResponse, DescribeQuorumResponse, QuorumReplicaState } from '@tributary/protocol'
import { History, lineChart } from '../chart.js'
import { health, perBroker } from '../cluster-view.js'
import { card, describeError, errorBox, fill, h, table, type Child } from '../dom.js'
import { ago } from '../format.js'
import { metricsUrl, parseRequestCounters, rates, type Counters } from '../metrics.js'
import type { PageContext } from '../page.js'
import { href } from '../router.js'

const REFRESH_MS = 2000

export async function overviewPage(ctx: PageContext): Promise<void> {
  const produce = new History()
  const fetchRates = new History()
  const last = new Map<number, Counters>()
  let firstDraw = true
  let known: DescribeClusterResponse['brokers'] = []
  let scraping: Promise<void> | undefined
  ctx.every(REFRESH_MS, async () => {
    // The scrape runs on its own (on the brokers known from the last round) and its points show at the next draw:
    // a node that is down delays no draw.
    if (!scraping) scraping = scrapeRates(known, last, produce, fetchRates).finally(() => (scraping = undefined))
    const [meta, cluster, quorum] = await Promise.allSettled([
      ctx.session.admin.clusterMetadata(),
      ctx.session.admin.describeCluster(),
      ctx.session.admin.describeQuorum(),
    ])
    if (ctx.signal.aborted) return
    if (meta.status === 'rejected') {
      fill(ctx.root, h('h1', {}, 'Overview'), errorBox(meta.reason, () => ctx.reload()))
      return
    }
    const m = meta.value
    const brokers: DescribeClusterResponse['brokers'] = cluster.status === 'fulfilled'
      ? cluster.value.brokers
      : m.brokers.map((b) => ({ ...b, brokerEpoch: -1, lastHeartbeatAgeMs: null, incarnationId: '' }))
    known = brokers
    const focused = document.activeElement?.id
    const hl = health(m.topics)
    const live = brokers.filter((b) => !b.fenced).length
    fill(ctx.root,
      h('h1', {}, 'Overview'),
      h('div', { class: 'cards' },
        card('Cluster id', m.clusterId ?? '–', { id: 'cluster-id' }),
        card('Controller', m.controllerId >= 0 ? `node ${m.controllerId}` : 'none', { id: 'controller' }),
        card('Brokers', h('span', {}, `${live} live`, brokers.length > live ? h('span', { class: 'bad' }, `, ${brokers.length - live} fenced`) : null), { id: 'brokers-count' }),
        card('Partitions', hl.partitions),
        card('Under-replicated', h('a', { href: href('topics', { filter: 'under-replicated' }), id: 'under-replicated', class: hl.underReplicated > 0 ? 'warn' : null, 'data-count': hl.underReplicated }, String(hl.underReplicated))),
        card('Offline', h('a', { href: href('topics', { filter: 'offline' }), id: 'offline', class: hl.offline > 0 ? 'bad' : null, 'data-count': hl.offline }, String(hl.offline))),
      ),
      h('h2', {}, 'Metadata quorum (Raft)'),
      quorum.status === 'fulfilled' ? quorumView(quorum.value) : h('p', { class: 'error' }, `Quorum not shown: ${describeError(quorum.reason)}`),
      h('h2', {}, 'Brokers'),
      cluster.status === 'rejected' ? h('p', { class: 'muted' }, `Heartbeats not shown: ${describeError(cluster.reason)}`) : null,
      brokersView(brokers, m.controllerId, perBroker(m.topics)),
      h('h2', {}, 'Request rates (from each node\'s /metrics)'),
      h('div', { class: 'charts' }, lineChart('Produce requests/s', produce.series()), lineChart('Fetch requests/s', fetchRates.series())),
    )
    ctx.root.setAttribute('data-rendered', String(Date.now()))
    if (focused) document.getElementById(focused)?.focus()
    if (firstDraw) {
      firstDraw = false
      performance.mark('console:overview-rendered')
    }
  })
}

function quorumView(q: DescribeQuorumResponse): HTMLElement {
  const leader = q.voters.find((v) => v.nodeId === q.leaderId)
  const leo = leader?.logEndOffset ?? q.highWatermark
  const row = (r: QuorumReplicaState, role: string): Child[] => [
    String(r.nodeId), role, r.logEndOffset, Math.max(0, leo - r.logEndOffset), ago(r.lastFetchTimestamp), ago(r.lastCaughtUpTimestamp),
  ]
  return h('div', {},
    h('div', { class: 'cards' },
      card('Leader', q.leaderId >= 0 ? `node ${q.leaderId}` : 'none (election)', { id: 'quorum-leader' }),
      card('Term', q.leaderEpoch),
      card('Commit index', q.highWatermark, { id: 'commit-index' }),
    ),
    table('Quorum members', ['Node', 'Role', 'Log end', 'Lag', 'Last fetch', 'Last caught up'], [
      ...q.voters.map((v) => row(v, v.nodeId === q.leaderId ? 'Leader' : 'Voter')),
      ...q.observers.map((o) => row(o, 'Observer')),
    ], [2, 3]),
  )
}

function brokersView(brokers: DescribeClusterResponse['brokers'], controllerId: number, counts: Map<number, { replicas: number; leaders: number }>): HTMLElement {
  const rows = [...brokers].sort((a, b) => a.nodeId - b.nodeId).map((b) => [
    String(b.nodeId),
    h('span', { class: b.fenced ? 'bad' : 'ok', 'data-broker-status': b.nodeId }, b.fenced ? 'fenced' : 'live'),
    h('span', { class: 'mono' }, b.endpoint),
    b.rack ?? '–',
    counts.get(b.nodeId)?.replicas ?? 0,
    counts.get(b.nodeId)?.leaders ?? 0,
    b.lastHeartbeatAgeMs === null || b.lastHeartbeatAgeMs === undefined ? '–' : `${b.lastHeartbeatAgeMs} ms ago`,
    b.nodeId === controllerId ? 'controller' : '',
  ])
  return table('Brokers', ['Node', 'Status', 'Endpoint', 'Rack', 'Partitions', 'Leaders', 'Last heartbeat', ''], rows, [4, 5])
}

/** One scrape of every broker's /metrics; a node that does not answer just has no new point. */
async function scrapeRates(brokers: DescribeClusterResponse['brokers'], last: Map<number, Counters>, produce: History, fetchRates: History): Promise<void> {
  await Promise.all(brokers.map(async (b) => {
    try {
      const r = await fetch(metricsUrl(b.endpoint), { signal: AbortSignal.timeout(1500) })
      const now = parseRequestCounters(await r.text(), Date.now())
      const prev = last.get(b.nodeId)
      last.set(b.nodeId, now)
      if (!prev) return
      const rate = rates(prev, now)
      produce.add(`node ${b.nodeId}`, now.at, rate.produce)
      fetchRates.add(`node ${b.nodeId}`, now.at, rate.fetch)
    } catch {
      last.delete(b.nodeId)
    }
  }))
}
