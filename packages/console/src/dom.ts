/**
 * Building DOM without a framework: `h('td', { class: 'num' }, 42)`. Text always
 * goes in as text nodes, never as HTML, so a record's bytes or a topic name can
 * never inject markup into the console.
 */
export type Child = Node | string | number | null | undefined | false | Child[]
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v)
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  append(el, children)
  return el
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    if (Array.isArray(c)) append(el, c)
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c)
  }
}

/** Replace an element's content. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren()
  append(el, children)
}

/** A table with a header row; `num` columns are right-aligned. Wrapped so it scrolls sideways on a phone. */
export function table(caption: string, head: Array<string | { label: string; num?: boolean }>, rows: Child[][], numCols: number[] = []): HTMLElement {
  const th = head.map((c, i) => {
    const label = typeof c === 'string' ? c : c.label
    return h('th', { scope: 'col', class: numCols.includes(i) ? 'num' : null }, label)
  })
  const body = rows.length === 0
    ? [h('tr', {}, h('td', { colspan: head.length, class: 'muted' }, 'none'))]
    : rows.map((r) => h('tr', {}, r.map((cell, i) => h('td', { class: numCols.includes(i) ? 'num' : null }, cell))))
  return h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'skip' }, caption), h('thead', {}, h('tr', {}, th)), h('tbody', {}, body)))
}

export function card(label: string, value: Child, attrs: Attrs = {}): HTMLElement {
  return h('div', { class: 'card', ...attrs }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value))
}

export function errorBox(err: unknown, retry?: () => void): HTMLElement {
  return h('div', { class: 'error', role: 'alert' }, describeError(err), retry ? [' ', h('button', { type: 'button', class: 'secondary', onclick: () => retry() }, 'Retry')] : null)
}

export function loading(what = 'Loading…'): HTMLElement {
  return h('p', { class: 'loading', 'aria-busy': 'true' }, what)
}

/** An error as a person should read it: the broker's message, with its code name when it has one. */
export function describeError(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { message?: string; name?: string; code?: number }
    if (e.message) return e.message
  }
  return String(err)
}

/** A button that is disabled with the reason said beside it (and to screen readers). */
export function action(label: string, onclick: () => void, opts: { reason?: string | null; kind?: 'danger' | 'secondary'; id?: string } = {}): HTMLElement {
  const reasonId = opts.id ? `${opts.id}-reason` : undefined
  const b = h('button', { type: 'button', id: opts.id, class: opts.kind ?? null, disabled: !!opts.reason, 'aria-describedby': opts.reason ? reasonId : null, title: opts.reason ?? null, onclick: () => onclick() }, label)
  return opts.reason ? h('span', {}, b, ' ', h('span', { class: 'reason', id: reasonId }, opts.reason)) : b
}
