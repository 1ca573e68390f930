/**
 * Topics: every topic the principal may Describe, with partitions, replication
 * factor, size (from the brokers' /metrics), retention and partition health; a search box and the health filters
 * the overview links to (?filter=under-replicated|offline), both kept in the
 * URL; and a form to create a topic (the broker's validation errors shown).
 */
import { health, isOffline, isUnderReplicated, type TopicMeta } from '../cluster-view.js'
import { describeError, errorBox, fill, h, loading, table } from '../dom.js'
import { bytesText } from '../format.js'
import { parseTopicSizes, scrapeAll } from '../metrics.js'
import type { PageContext } from '../page.js'
import { href, replaceQuery } from '../router.js'

/** Topics whose retention the list asks for (one DescribeConfigs each). */
const RETENTION_LOOKUPS_MAX = 200

export async function topicsPage(ctx: PageContext): Promise<void> {
  const admin = ctx.session.admin
  let meta
  try {
    meta = await admin.clusterMetadata()
  } catch (err) {
    fill(ctx.root, h('h1', {}, 'Topics'), errorBox(err, () => ctx.reload()))
    return
  }
  const filter = ctx.route.query.get('filter') ?? ''
  const search = h('input', { id: 'topic-search', type: 'search', value: ctx.route.query.get('q') ?? '', placeholder: 'name contains…' })
  const filterSel = h('select', { id: 'topic-filter' },
    h('option', { value: '' }, 'all topics'),
    h('option', { value: 'under-replicated', selected: filter === 'under-replicated' }, 'under-replicated'),
    h('option', { value: 'offline', selected: filter === 'offline' }, 'offline'))
  const list = h('div', {}, loading())
  const retention = new Map<string, string>()
  let sizes = new Map<string, number>()
  const draw = (): void => {
    const q = search.value.trim().toLowerCase()
    const f = filterSel.value
    replaceQuery('topics', [], { q: search.value.trim(), filter: f })
    const shown = meta.topics
      .filter((t) => t.name.toLowerCase().includes(q))
      .filter((t) => f === '' || t.partitions.some(f === 'offline' ? isOffline : isUnderReplicated))
      .sort((a, b) => Number(a.internal) - Number(b.internal) || a.name.localeCompare(b.name))
    fill(list, topicTable(shown, retention, sizes))
  }
  search.addEventListener('input', draw)
  filterSel.addEventListener('change', draw)
  fill(ctx.root,
    h('h1', {}, 'Topics'),
    h('div', { class: 'row', role: 'search' },
      h('label', { for: 'topic-search' }, 'Search', search),
      h('label', { for: 'topic-filter' }, 'Show', filterSel)),
    list,
    createForm(ctx),
  )
  draw()
  const sized = scrapeAll(meta.brokers.map((b) => b.endpoint)).then((texts) => {
    sizes = parseTopicSizes(texts)
  })
  await Promise.all(meta.topics.slice(0, RETENTION_LOOKUPS_MAX).map(async (t) => {
    const c = await admin.describeConfigs({ resources: [{ type: 'topic', name: t.name, names: ['retention.ms'] }] }).catch(() => undefined)
    const v = c?.[0]?.configs.find((x) => x.name === 'retention.ms')?.value
    if (v) retention.set(t.name, v)
  }))
  await sized
  if (!ctx.signal.aborted) draw()
}

function topicTable(topics: TopicMeta[], retention: Map<string, string>, sizes: Map<string, number>): HTMLElement {
  return table('Topics', ['Topic', 'Partitions', 'Replication factor', 'Size', 'Retention', 'Health'], topics.map((t) => {
    const hl = health([t])
    return [
      h('a', { href: href('topic', t.name) }, t.name), t.partitions.length,
      Math.max(0, ...t.partitions.map((p) => p.replicas.length)),
      sizes.has(t.name) ? bytesText(sizes.get(t.name)!) : '–',
      retentionText(retention.get(t.name)),
      hl.offline > 0 ? h('span', { class: 'bad' }, `${hl.offline} offline`) : hl.underReplicated > 0 ? h('span', { class: 'warn' }, `${hl.underReplicated} under-replicated`) : h('span', { class: 'ok' }, 'ok'),
    ]
  }), [1, 2, 3])
}

function retentionText(ms: string | undefined): string {
  if (ms === undefined) return '–'
  const n = Number(ms)
  if (n < 0) return 'forever'
  return n % 3_600_000 === 0 ? `${n / 3_600_000} h` : `${n} ms`
}

function createForm(ctx: PageContext): HTMLElement {
  const name = h('input', { id: 'create-name', name: 'name', required: true })
  const partitions = h('input', { id: 'create-partitions', type: 'number', min: 1, value: 3 })
  const rf = h('input', { id: 'create-rf', type: 'number', min: 1, value: 3 })
  const retention = h('input', { id: 'create-retention', placeholder: 'retention.ms (optional)' })
  const status = h('div', { role: 'status', id: 'create-status' })
  const form = h('form', { 'aria-label': 'Create topic' },
    h('label', { for: 'create-name' }, 'Name', name),
    h('label', { for: 'create-partitions' }, 'Partitions', partitions),
    h('label', { for: 'create-rf' }, 'Replication factor', rf),
    h('label', { for: 'create-retention' }, 'retention.ms', retention),
    h('button', { type: 'submit', id: 'create-submit' }, 'Create topic'), status)
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    fill(status, h('span', { class: 'loading' }, 'Creating…'))
    const config = retention.value.trim() ? { 'retention.ms': retention.value.trim() } : undefined
    ctx.session.admin.createTopic({ topic: name.value.trim(), partitions: Number(partitions.value), replicationFactor: Number(rf.value), config, timeoutMs: 15_000 }).then(
      () => { location.hash = href('topic', name.value.trim()) },
      (err) => fill(status, h('span', { class: 'error', role: 'alert' }, describeError(err))),
    )
  })
  return h('section', { 'aria-labelledby': 'create-heading' }, h('h2', { id: 'create-heading' }, 'Create a topic'), form)
}
