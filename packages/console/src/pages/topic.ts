/**
 * One topic: its partitions (leader, replicas, ISR, leader epoch, log start,
 * high watermark), its configs (editable through AlterConfigs, the broker's
 * validation errors shown beside the field), adding partitions, and deletion
 * behind a typed confirmation. What the principal may not do is disabled with
 * the reason (admin.topicPermissions asks the brokers).
 */
import type { TopicPermissions } from '@tributary/client'
import type { ConfigEntry } from '@tributary/protocol'
import { action, describeError, errorBox, fill, h, table } from '../dom.js'
import type { PageContext } from '../page.js'
import { href } from '../router.js'

const NOT_ALLOWED = (op: string): string => `not allowed: your principal lacks ${op} on this topic`
const admin = (ctx: PageContext) => ctx.session.admin

export async function topicPage(ctx: PageContext): Promise<void> {
  const name = ctx.route.args[0] ?? ''
  const admin = ctx.session.admin
  const [topic, configs, perms] = await Promise.allSettled([
    admin.describeTopic(name),
    admin.describeConfigs({ resources: [{ type: 'topic', name }] }),
    admin.topicPermissions(name),
  ])
  if (ctx.signal.aborted) return
  if (topic.status === 'rejected') {
    fill(ctx.root, h('h1', {}, `Topic ${name}`), errorBox(topic.reason, () => ctx.reload()), h('p', {}, h('a', { href: href('topics') }, 'All topics')))
    return
  }
  const t = topic.value
  const may: TopicPermissions = perms.status === 'fulfilled' ? perms.value : { read: true, write: true, delete: true, alter: true, alterConfigs: true }
  fill(ctx.root,
    h('h1', {}, `Topic ${t.name}`),
    h('p', {}, h('span', { class: 'muted mono' }, `id ${t.topicId}`), t.internal ? ' (internal)' : '', ' · ', h('a', { href: href('messages', t.name) }, 'Browse messages')),
    h('h2', {}, 'Partitions'),
    table('Partitions', ['Partition', 'Leader', 'Replicas', 'ISR', 'Leader epoch', 'Log start', 'High watermark', ''], t.partitions.map((p) => [
      p.partition,
      p.leader >= 0 ? String(p.leader) : h('span', { class: 'bad' }, 'offline'),
      p.replicas.join(', '),
      h('span', { class: p.isr.length < p.replicas.length ? 'warn' : null }, p.isr.join(', ')),
      p.leaderEpoch, p.logStartOffset, p.highWatermark,
      h('a', { href: href('messages', t.name, { p: p.partition }), 'aria-label': `messages of partition ${p.partition}` }, 'messages'),
    ]), [0, 4, 5, 6]),
    h('h2', {}, 'Configs'),
    configs.status === 'fulfilled' ? configTable(ctx, t.name, configs.value[0]?.configs ?? [], may) : errorBox(configs.reason),
    h('h2', {}, 'Add partitions'),
    addPartitions(ctx, t.name, t.partitions.length, may),
    h('h2', {}, 'Delete'),
    deleteTopic(ctx, t.name, may, t.internal),
  )
}

function configTable(ctx: PageContext, topic: string, entries: ConfigEntry[], may: TopicPermissions): HTMLElement {
  const reason = may.alterConfigs ? null : NOT_ALLOWED('AlterConfigs')
  const rows = entries.map((c, i) => {
    const id = `config-${i}`
    const input = h('input', { id, value: c.value ?? '', 'aria-label': c.name, disabled: c.readOnly || !!reason, size: 14 })
    const status = h('span', { role: 'status', class: 'reason' })
    const save = (value: string | null): void => {
      fill(status, 'saving…')
      admin(ctx).alterConfigs({ resources: [{ type: 'topic', name: topic, configs: [{ name: c.name, value }] }] }).then(
        () => ctx.reload(),
        (err) => fill(status, h('span', { class: 'error' }, describeError(err))),
      )
    }
    return [
      h('span', { class: 'mono' }, c.name), input, c.source,
      c.readOnly ? h('span', { class: 'muted' }, 'read-only') : h('span', {},
        action('Save', () => save(input.value), { reason, id: `${id}-save` }), ' ',
        c.source === 'topic' ? action('Reset', () => save(null), { reason, kind: 'secondary', id: `${id}-reset` }) : null, ' ', status),
    ]
  })
  return h('div', {}, reason ? h('p', { class: 'reason' }, reason) : null, table('Configs', ['Name', 'Value', 'Source', ''], rows))
}

function addPartitions(ctx: PageContext, topic: string, count: number, may: TopicPermissions): HTMLElement {
  const input = h('input', { id: 'partitions-count', type: 'number', min: count + 1, value: count + 1, disabled: !may.alter })
  const status = h('span', { role: 'status' })
  const go = (): void => {
    fill(status, 'adding…')
    admin(ctx).createPartitions({ topicPartitions: [{ topic, count: Number(input.value) }] }).then(
      () => ctx.reload(),
      (err) => fill(status, h('span', { class: 'error' }, describeError(err))),
    )
  }
  return h('div', { class: 'row' }, h('label', { for: 'partitions-count' }, 'New partition count', input),
    action('Add partitions', go, { reason: may.alter ? null : NOT_ALLOWED('Alter'), id: 'partitions-add' }), status)
}

function deleteTopic(ctx: PageContext, topic: string, may: TopicPermissions, internal: boolean): HTMLElement {
  const reason = internal ? 'internal topics cannot be deleted' : may.delete ? null : NOT_ALLOWED('Delete')
  const confirm = h('input', { id: 'delete-confirm', autocomplete: 'off', disabled: !!reason })
  const status = h('span', { role: 'status' })
  const button = action('Delete topic', () => {
    fill(status, 'deleting…')
    admin(ctx).deleteTopic(topic, { timeoutMs: 15_000 }).then(
      () => { location.hash = href('topics') },
      (err) => fill(status, h('span', { class: 'error', role: 'alert' }, describeError(err))),
    )
  }, { reason, kind: 'danger', id: 'delete-topic' })
  const b = button.tagName === 'BUTTON' ? button as HTMLButtonElement : button.querySelector('button')!
  if (!reason) {
    b.disabled = true
    confirm.addEventListener('input', () => { b.disabled = confirm.value !== topic })
  }
  return h('div', { class: 'row' },
    h('label', { for: 'delete-confirm' }, `Type ${topic} to confirm`, confirm), button, status)
}
