/**
 * Hash routes (`#/topics/orders`): every page has its own URL, a reload or a
 * shared link opens it, and the browser's back and forward move between pages
 * (each navigation is a history entry). Hash routing needs nothing from the
 * node's HTTP side beyond serving index.html at /.
 */
export interface Route {
  page: 'overview' | 'topics' | 'topic' | 'messages' | 'groups' | 'group' | 'metadata' | 'notfound'
  /** Path segments after the page (decoded). */
  args: string[]
  /** Query parameters after `?` in the hash. */
  query: URLSearchParams
}

const PAGES = new Set<Route['page']>(['overview', 'topics', 'topic', 'messages', 'groups', 'group', 'metadata'])

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '')
  const [pathPart, queryPart = ''] = raw.split('?', 2)
  const segs = pathPart.split('/').filter(Boolean).map((s) => {
    try { return decodeURIComponent(s) } catch { return s }
  })
  const page = (segs[0] ?? 'overview') as Route['page']
  return { page: PAGES.has(page) ? page : 'notfound', args: segs.slice(1), query: new URLSearchParams(queryPart) }
}

/** `href('topic', 'orders')` → `#/topic/orders`; query values left out when empty. */
export function href(page: Route['page'], ...args: Array<string | number | Record<string, string | number | undefined>>): string {
  const parts: string[] = [page]
  let query = ''
  for (const a of args) {
    if (typeof a === 'object') {
      const q = new URLSearchParams()
      for (const [k, v] of Object.entries(a)) if (v !== undefined && v !== '') q.set(k, String(v))
      query = q.toString()
    } else parts.push(encodeURIComponent(String(a)))
  }
  return `#/${parts.join('/')}${query ? `?${query}` : ''}`
}

/** Change the URL of the page being shown without a new history entry (filters typed into a page). */
export function replaceQuery(page: Route['page'], args: string[], query: Record<string, string | number | undefined>): void {
  history.replaceState(null, '', href(page, ...args, query))
}
