/**
 * The metadata log: committed Raft records, decoded by the node (credentials
 * redacted there, as `tributary metadata log` shows them), a page at a time
 * from an index in the URL, or followed live from the commit index.
 */
import type { MetadataLogEntry } from '@tributary/protocol'
import { errorBox, fill, h, table } from '../dom.js'
import type { PageContext } from '../page.js'
import { href } from '../router.js'

const PAGE_RECORDS = 100
const FOLLOW_MS = 1000
/** Rows a followed log keeps on screen. */
const FOLLOW_ROWS_MAX = 500

export async function metadataLogPage(ctx: PageContext): Promise<void> {
  const admin = ctx.session.admin
  const follow = ctx.route.query.get('follow') === '1'
  let first
  try {
    first = await admin.metadataLog({ fromIndex: 0, maxRecords: 1 })
  } catch (err) {
    fill(ctx.root, h('h1', {}, 'Metadata log'), errorBox(err, () => ctx.reload()))
    return
  }
  const latestFrom = Math.max(first.logStartIndex, first.commitIndex - PAGE_RECORDS + 1)
  const from = Math.max(first.logStartIndex, Number(ctx.route.query.get('from') ?? latestFrom) || 0)
  const r = await admin.metadataLog({ fromIndex: from, maxRecords: PAGE_RECORDS })
  const rows: MetadataLogEntry[] = [...r.entries]
  const list = h('div', {})
  const status = h('p', { class: 'muted', role: 'status', id: 'log-status' })
  const draw = (commitIndex: number): void => {
    fill(status, `log start ${r.logStartIndex} · commit index ${commitIndex} · showing ${rows.length} records${follow ? ' · following' : ''}`)
    fill(list, table('Metadata records', ['Index', 'Term', 'Type', 'Record'], rows.map((e) => [e.index, e.term, e.type, h('pre', {}, recordText(e.record))]), [0, 1]))
  }
  const lastIndex = rows.at(-1)?.index ?? from - 1
  fill(ctx.root,
    h('h1', {}, 'Metadata log'),
    h('nav', { class: 'row', 'aria-label': 'Log pages' },
      h('a', { href: href('metadata', { from: r.logStartIndex }) }, 'First'),
      from > r.logStartIndex ? h('a', { href: href('metadata', { from: Math.max(r.logStartIndex, from - PAGE_RECORDS) }), id: 'log-prev' }, 'Previous') : null,
      lastIndex < r.commitIndex ? h('a', { href: href('metadata', { from: lastIndex + 1 }), id: 'log-next' }, 'Next') : null,
      h('a', { href: href('metadata') }, 'Latest'),
      follow ? h('a', { href: href('metadata', { from }) }, 'Stop following') : h('a', { href: href('metadata', { follow: 1 }), id: 'log-follow' }, 'Follow live')),
    status, list)
  draw(r.commitIndex)
  if (!follow) return
  let next = lastIndex + 1
  ctx.every(FOLLOW_MS, async () => {
    const more = await admin.metadataLog({ fromIndex: next, maxRecords: PAGE_RECORDS }).catch(() => undefined)
    if (!more || ctx.signal.aborted) return
    rows.push(...more.entries)
    if (rows.length > FOLLOW_ROWS_MAX) rows.splice(0, rows.length - FOLLOW_ROWS_MAX)
    next = (rows.at(-1)?.index ?? next - 1) + 1
    draw(more.commitIndex)
  })
}

/** The record's fields as `key=value` (type and version have their own columns), as the CLI prints them. */
function recordText(record: unknown): string {
  if (record === null || typeof record !== 'object') return JSON.stringify(record)
  return Object.entries(record as Record<string, unknown>)
    .filter(([k]) => k !== 'type' && k !== 'version')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
}
