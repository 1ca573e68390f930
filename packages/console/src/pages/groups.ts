/**
 * Consumer groups: the list; one group's members and their assignments,
 * committed offsets and lag per partition, total lag over time as a chart
 * (refreshed every two seconds), and resetting offsets (earliest, latest, an
 * offset or a time), which the coordinator accepts only while the group is empty.
 */
import { History, lineChart } from '../chart.js'
import { describeError, errorBox, fill, h, table } from '../dom.js'
import type { PageContext } from '../page.js'
import { href } from '../router.js'

const REFRESH_MS = 2000

export async function groupsPage(ctx: PageContext): Promise<void> {
  let groups
  try {
    groups = await ctx.session.admin.listGroups()
  } catch (err) {
    fill(ctx.root, h('h1', {}, 'Consumer groups'), errorBox(err, () => ctx.reload()))
    return
  }
  fill(ctx.root, h('h1', {}, 'Consumer groups'),
    table('Consumer groups', ['Group', 'State'], groups.map((g) => [h('a', { href: href('group', g.groupId) }, g.groupId), g.state])))
}

export async function groupPage(ctx: PageContext): Promise<void> {
  const id = ctx.route.args[0] ?? ''
  const lag = new History(90)
  const body = h('div', {})
  const chart = h('div', { class: 'charts' })
  const reset = h('div', {})
  fill(ctx.root, h('h1', {}, `Group ${id}`), chart, body, h('h2', {}, 'Reset offsets'), reset)
  let resetDrawnFor = ''
  ctx.every(REFRESH_MS, async () => {
    let g
    try {
      g = await ctx.session.admin.describeGroup(id)
    } catch (err) {
      if (!ctx.signal.aborted) fill(body, errorBox(err, () => ctx.reload()))
      return
    }
    if (ctx.signal.aborted) return
    const total = g.offsets.reduce((s, o) => s + Math.max(0, o.lag), 0)
    lag.add('total lag', Date.now(), total)
    fill(chart, lineChart('Lag (records behind the high watermark)', lag.series()))
    fill(body,
      h('p', {}, 'State ', h('strong', { id: 'group-state' }, g.state), ` · epoch ${g.groupEpoch} · total lag `, h('strong', { id: 'group-lag', 'data-lag': total }, String(total))),
      h('h2', {}, 'Members'),
      table('Members', ['Member', 'Client', 'Epoch', 'Subscribed', 'Assigned'], g.members.map((m) => [
        h('span', { class: 'mono' }, m.memberId), m.clientId, m.memberEpoch,
        m.subscribedTopicNames.join(', ') || (m.subscribedTopicRegex ?? ''),
        m.assignment.map((a) => `${a.topic}: ${a.partitions.join(',')}`).join('; '),
      ]), [2]),
      h('h2', {}, 'Committed offsets'),
      table('Committed offsets', ['Topic', 'Partition', 'Committed', 'High watermark', 'Lag'], g.offsets.map((o) => [
        h('a', { href: href('topic', o.topic) }, o.topic), o.partition, o.offset, o.highWatermark, h('span', { class: o.lag > 0 ? 'warn' : 'ok' }, String(o.lag)),
      ]), [1, 2, 3, 4]),
    )
    // The reset form is drawn again only when what it depends on changes, so typing in it survives refreshes.
    const key = `${g.members.length === 0}|${[...new Set(g.offsets.map((o) => o.topic))].join(',')}`
    if (key !== resetDrawnFor) {
      resetDrawnFor = key
      fill(reset, resetForm(ctx, id, g.members.length === 0, [...new Set(g.offsets.map((o) => o.topic))]))
    }
  })
}

function resetForm(ctx: PageContext, groupId: string, empty: boolean, topics: string[]): HTMLElement {
  const reason = empty ? null : 'the group has members: stop its consumers first (offsets can only be reset while it is empty)'
  const topic = h('select', { id: 'reset-topic', disabled: !!reason }, topics.map((t) => h('option', { value: t }, t)))
  const to = h('select', { id: 'reset-to', disabled: !!reason }, ['earliest', 'latest', 'offset', 'timestamp'].map((v) => h('option', { value: v }, v)))
  const value = h('input', { id: 'reset-value', disabled: !!reason, placeholder: 'offset, or ISO time / ms' })
  const status = h('span', { role: 'status' })
  const button = h('button', { type: 'submit', id: 'reset-submit', disabled: !!reason || topics.length === 0, 'aria-describedby': reason ? 'reset-reason' : null }, 'Reset offsets')
  const form = h('form', { 'aria-label': 'Reset offsets' },
    h('label', { for: 'reset-topic' }, 'Topic', topic), h('label', { for: 'reset-to' }, 'To', to), h('label', { for: 'reset-value' }, 'Value', value), button, status,
    reason ? h('span', { class: 'reason', id: 'reset-reason' }, reason) : null)
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const v = value.value.trim()
    const target = to.value === 'offset' ? { offset: Number(v) } : to.value === 'timestamp' ? { timestamp: /^\d+$/.test(v) ? Number(v) : Date.parse(v) } : (to.value as 'earliest' | 'latest')
    fill(status, 'resetting…')
    ctx.session.admin.resetOffsets({ groupId, topic: topic.value, to: target }).then(
      (r) => fill(status, h('span', { class: 'ok' }, `reset: ${r.map((x) => `${x.partition}→${x.offset}`).join(', ')}`)),
      (err) => fill(status, h('span', { class: 'error', role: 'alert' }, describeError(err))),
    )
  })
  return form
}
