/**
 * Messages: browse a partition from an offset or a timestamp (the URL holds the
 * choice, so a view can be linked), tail it live, show keys and values as text,
 * pretty JSON or hex with headers and timestamps, filter by key or substring,
 * and produce a message with key, value and headers (disabled with the reason
 * when the principal may not Write).
 */
import type { ConsumedMessage } from '@tributary/client'
import { action, describeError, errorBox, fill, h, loading, table } from '../dom.js'
import { asText, isoTime, show, type View } from '../format.js'
import { repeat, type PageContext } from '../page.js'
import { Tail, readPage } from '../reader.js'
import { href } from '../router.js'

const PAGE_RECORDS_DEFAULT = 50
/** Records a live tail keeps and draws: the newest; the rest are counted, not drawn. */
const TAIL_KEEP = 50
/** How often a live tail redraws, whatever the record rate. */
const TAIL_DRAW_MS = 500

export async function messagesPage(ctx: PageContext): Promise<void> {
  const admin = ctx.session.admin
  const q = ctx.route.query
  const meta = await admin.clusterMetadata({ includeInternal: false })
  const topics = meta.topics.map((t) => t.name).sort()
  const topic = ctx.route.args[0] ?? ''
  const topicSel = h('select', { id: 'msg-topic' }, h('option', { value: '' }, '— choose a topic —'), topics.map((n) => h('option', { value: n, selected: n === topic }, n)))
  topicSel.addEventListener('change', () => { location.hash = href('messages', topicSel.value) })
  const t = meta.topics.find((x) => x.name === topic)
  if (!t) {
    fill(ctx.root, h('h1', {}, 'Messages'), h('label', { for: 'msg-topic' }, 'Topic', topicSel), topic ? h('p', { class: 'error' }, `No topic ${topic} (or not visible to you).`) : null)
    return
  }
  const partition = Number(q.get('p') ?? 0)
  const view = (q.get('view') ?? 'text') as View
  const mode = q.get('from') ?? 'earliest'
  const ends = await admin.fetchTopicOffsets(topic)
  const end = ends.find((e) => e.partition === partition) ?? { low: 0, high: 0 }

  const partSel = h('select', { id: 'msg-partition' }, t.partitions.map((p) => h('option', { value: p.partition, selected: p.partition === partition }, String(p.partition))))
  const modeSel = h('select', { id: 'msg-from' }, ['earliest', 'offset', 'timestamp', 'latest'].map((m) => h('option', { value: m, selected: m === mode }, m)))
  const at = h('input', { id: 'msg-at', value: q.get('at') ?? '', placeholder: 'offset, or ISO time / ms', size: 22 })
  const limit = h('input', { id: 'msg-limit', type: 'number', min: 1, max: 500, value: q.get('n') ?? PAGE_RECORDS_DEFAULT })
  const viewSel = h('select', { id: 'msg-view' }, ['text', 'json', 'hex'].map((v) => h('option', { value: v, selected: v === view }, v)))
  const filter = h('input', { id: 'msg-filter', type: 'search', value: q.get('q') ?? '', placeholder: 'key or substring' })
  const results = h('div', { id: 'msg-results' }, loading('Reading…'))
  const load = (): void => {
    location.hash = href('messages', topic, { p: partSel.value, from: modeSel.value, at: at.value.trim(), n: limit.value, view: viewSel.value, q: filter.value })
  }
  let shown: ConsumedMessage[] = []
  const draw = (records: ConsumedMessage[], title: string): void => fill(results, h('p', { class: 'muted', id: 'msg-count' }, title), messageTable(records, viewSel.value as View, filter.value))
  filter.addEventListener('input', () => draw(shown, `${shown.length} records`))
  viewSel.addEventListener('change', () => draw(shown, `${shown.length} records`))

  const live = tailControl(ctx, topic, ends.filter((e) => e.partition === partition).map((e) => ({ partition: e.partition, offset: e.high })), (records, title) => {
    shown = records
    draw(shown, title)
  })

  fill(ctx.root,
    h('h1', {}, `Messages of ${topic}`),
    h('form', { 'aria-label': 'Browse', onsubmit: (ev: Event) => { ev.preventDefault(); load() } },
      h('label', { for: 'msg-topic' }, 'Topic', topicSel),
      h('label', { for: 'msg-partition' }, 'Partition', partSel),
      h('label', { for: 'msg-from' }, 'From', modeSel),
      h('label', { for: 'msg-at' }, 'Offset or time', at),
      h('label', { for: 'msg-limit' }, 'Records', limit),
      h('label', { for: 'msg-view' }, 'Show as', viewSel),
      h('label', { for: 'msg-filter' }, 'Filter', filter),
      h('button', { type: 'submit', id: 'msg-load' }, 'Read')),
    h('div', { class: 'row' }, live.button, live.status, h('span', { class: 'muted' }, `log start ${end.low}, high watermark ${end.high}`)),
    results,
    await produceForm(ctx, topic, t.partitions.length),
  )

  try {
    const n = Math.max(1, Math.min(500, Number(limit.value) || PAGE_RECORDS_DEFAULT))
    const from = await startOffset(ctx, topic, partition, mode, at.value.trim(), end, n)
    shown = await readPage(ctx.session.client, topic, partition, from, n, end.high)
    if (!ctx.signal.aborted && !live.isLive()) draw(shown, `${shown.length} records from offset ${from}`)
  } catch (err) {
    if (!ctx.signal.aborted) fill(results, errorBox(err, () => ctx.reload()))
  }
}

/**
 * The "Tail live" button: a Tail from the partition's high watermark whose newest
 * records are drawn every TAIL_DRAW_MS, until stopped or the page is left.
 */
function tailControl(ctx: PageContext, topic: string, offsets: Array<{ partition: number; offset: number }>, draw: (records: ConsumedMessage[], title: string) => void): { button: HTMLElement; status: HTMLElement; isLive: () => boolean } {
  let tail: Tail | null = null
  const status = h('span', { role: 'status', id: 'tail-status' })
  const button = h('button', { type: 'button', id: 'tail-toggle', class: 'secondary' }, 'Tail live')
  let drawing: AbortController | null = null
  const stopTail = async (): Promise<void> => {
    const t0 = tail
    tail = null
    drawing?.abort()
    button.textContent = 'Tail live'
    await t0?.stop()
  }
  ctx.signal.addEventListener('abort', () => void stopTail())
  button.addEventListener('click', () => {
    if (tail) return void stopTail()
    const fresh = new Tail(ctx.session.client, TAIL_KEEP)
    tail = fresh
    button.textContent = 'Stop tail'
    const failed = (err: unknown): void => {
      void stopTail()
      fill(status, h('span', { class: 'error', role: 'alert' }, `the tail stopped: ${describeError(err)}`))
    }
    fresh.start(topic, offsets, failed).catch(failed)
    // The drawing stops with this tail (stopTail) or when the page is left.
    drawing = new AbortController()
    repeat(AbortSignal.any([ctx.signal, drawing.signal]), TAIL_DRAW_MS, () => {
      if (tail !== fresh) return
      const s = fresh.stats()
      fill(status, `live: ${s.received} received, ${Math.round(s.ratePerSec)}/s`)
      draw(fresh.recent.slice().reverse(), `newest ${fresh.recent.length} of ${s.received} received since the tail started`)
    })
  })
  return { button, status, isLive: () => tail !== null }
}

async function startOffset(ctx: PageContext, topic: string, partition: number, mode: string, at: string, end: { low: number; high: number }, n: number): Promise<number> {
  if (mode === 'latest') return Math.max(end.low, end.high - n)
  if (mode === 'offset') {
    const o = Number(at)
    if (!Number.isSafeInteger(o) || o < 0) throw new Error(`'${at}' is not an offset`)
    return Math.max(end.low, o)
  }
  if (mode === 'timestamp') {
    const ms = /^\d+$/.test(at) ? Number(at) : Date.parse(at)
    if (!Number.isFinite(ms)) throw new Error(`'${at}' is not a time (ISO 8601 or ms since the epoch)`)
    const found = await ctx.session.admin.fetchTopicOffsetsByTimestamp(topic, ms)
    const o = found.find((f) => f.partition === partition)?.offset ?? -1
    return o >= 0 ? o : end.high
  }
  return end.low
}

function messageTable(records: ConsumedMessage[], view: View, filter: string): HTMLElement {
  const f = filter.trim()
  const rows = records
    .filter((m) => f === '' || asText(m.key).includes(f) || asText(m.value).includes(f))
    .map((m) => [
      m.offset, isoTime(m.timestamp),
      h('pre', {}, m.key === null ? h('span', { class: 'muted' }, 'null') : show(m.key, view)),
      h('pre', {}, m.value === null ? h('span', { class: 'muted' }, 'null (tombstone)') : show(m.value, view)),
      h('pre', {}, Object.entries(m.headers).map(([k, v]) => `${k}=${show(v, view === 'json' ? 'text' : view)}`).join('\n')),
    ])
  return table('Records', ['Offset', 'Timestamp', 'Key', 'Value', 'Headers'], rows, [0])
}

async function produceForm(ctx: PageContext, topic: string, partitions: number): Promise<HTMLElement> {
  const may = await ctx.session.admin.topicPermissions(topic).catch(() => ({ write: true }))
  const reason = may.write ? null : 'not allowed: your principal lacks Write on this topic'
  const key = h('input', { id: 'produce-key', disabled: !!reason })
  const value = h('textarea', { id: 'produce-value', disabled: !!reason })
  const headers = h('textarea', { id: 'produce-headers', placeholder: 'name=value, one per line', disabled: !!reason })
  const part = h('select', { id: 'produce-partition', disabled: !!reason }, h('option', { value: '' }, 'by key'), Array.from({ length: partitions }, (_, i) => h('option', { value: i }, String(i))))
  const status = h('span', { role: 'status', id: 'produce-status' })
  const send = (): void => {
    const hdrs: Record<string, string> = {}
    for (const line of headers.value.split('\n').map((l) => l.trim()).filter(Boolean)) {
      const eq = line.indexOf('=')
      if (eq <= 0) return void fill(status, h('span', { class: 'error' }, `header '${line}' is not name=value`))
      hdrs[line.slice(0, eq)] = line.slice(eq + 1)
    }
    fill(status, 'sending…')
    const producer = ctx.session.client.producer({ acks: 'all', lingerMs: 0 })
    producer.send({ topic, messages: [{ key: key.value === '' ? null : key.value, value: value.value, headers: hdrs, partition: part.value === '' ? undefined : Number(part.value) }] })
      .then((r) => fill(status, h('span', { class: 'ok' }, `written at ${topic}-${r[0].partition} offset ${r[0].offset}`)), (err) => fill(status, h('span', { class: 'error', role: 'alert' }, describeError(err))))
      .finally(() => void producer.disconnect())
  }
  return h('section', { 'aria-labelledby': 'produce-heading' },
    h('h2', { id: 'produce-heading' }, 'Produce a message'),
    h('div', { class: 'row' },
      h('label', { for: 'produce-key' }, 'Key', key),
      h('label', { for: 'produce-value' }, 'Value', value),
      h('label', { for: 'produce-headers' }, 'Headers', headers),
      h('label', { for: 'produce-partition' }, 'Partition', part),
      action('Produce', send, { reason, id: 'produce-send' }), status))
}
