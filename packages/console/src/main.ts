/**
 * The console's entry point: connect to the node that served the page, ask for
 * a login when the cluster requires one, then draw the page the URL names and
 * redraw on every navigation (back and forward included).
 */
import { append, describeError, errorBox, fill, h, loading } from './dom.js'
import type { Page, PageContext } from './page.js'
import { repeat } from './page.js'
import { groupPage, groupsPage } from './pages/groups.js'
import { loginPage } from './pages/login.js'
import { messagesPage } from './pages/messages.js'
import { metadataLogPage } from './pages/metadata-log.js'
import { overviewPage } from './pages/overview.js'
import { topicPage } from './pages/topic.js'
import { topicsPage } from './pages/topics.js'
import { href, parseRoute, type Route } from './router.js'
import { isAuthError, nodeUrl, Session, type Login } from './session.js'

const PAGES: Record<Route['page'], Page> = {
  overview: overviewPage,
  topics: topicsPage,
  topic: topicPage,
  messages: messagesPage,
  groups: groupsPage,
  group: groupPage,
  metadata: metadataLogPage,
  notfound: (ctx) => fill(ctx.root, h('h1', {}, 'Not found'), h('p', {}, 'No page at this address. ', h('a', { href: href('overview') }, 'Overview'))),
}

const NAV: Array<[Route['page'], string, Route['page'][]]> = [
  ['overview', 'Overview', []],
  ['topics', 'Topics', ['topic']],
  ['messages', 'Messages', []],
  ['groups', 'Consumer groups', ['group']],
  ['metadata', 'Metadata log', []],
]

let session: Session | null = null
let current: AbortController | null = null

function root(): HTMLElement {
  return document.getElementById('main')!
}

function drawNav(route: Route): void {
  const nav = document.getElementById('nav')!
  fill(nav, NAV.map(([page, label, also]) => h('a', { href: href(page), 'aria-current': page === route.page || also.includes(route.page) ? 'page' : null }, label)))
  const who = document.getElementById('who')!
  fill(who, session?.principal ? [h('span', {}, `Signed in as ${session.principal}`), h('button', { type: 'button', class: 'secondary', onclick: () => void signOut() }, 'Sign out')] : null)
}

async function render(): Promise<void> {
  current?.abort()
  const controller = new AbortController()
  current = controller
  const route = parseRoute(location.hash)
  drawNav(route)
  const el = root()
  if (!session) return
  fill(el, loading())
  const ctx: PageContext = {
    session, route, root: el, signal: controller.signal,
    every: (ms, fn) => repeat(controller.signal, ms, fn),
    reload: () => void render(),
  }
  try {
    await PAGES[route.page](ctx)
  } catch (err) {
    if (controller.signal.aborted) return
    if (isAuthError(err)) return void askLogin(describeError(err))
    fill(el, h('h1', {}, 'Something went wrong'), errorBox(err, () => void render()))
  }
}

async function connect(login: Login | null): Promise<void> {
  const next = new Session(nodeUrl(), login)
  try {
    await next.admin.clusterMetadata({ includeInternal: false })
  } catch (err) {
    await next.close().catch(() => {})
    throw err
  }
  await session?.close().catch(() => {})
  session = next
}

function askLogin(message?: string): void {
  current?.abort()
  drawNav(parseRoute(location.hash))
  loginPage(root(), message, async (login) => {
    await connect(login)
    await render()
  })
}

async function signOut(): Promise<void> {
  const s = session
  session = null
  await s?.close().catch(() => {})
  askLogin()
}

async function boot(): Promise<void> {
  try {
    await connect(null)
    await render()
  } catch (err) {
    if (isAuthError(err)) return askLogin()
    fill(root(), h('h1', {}, 'Cannot reach the cluster'), errorBox(err, () => void boot()))
    append(root(), [h('p', { class: 'muted' }, `The console connects to ${nodeUrl()} over WebSocket.`)])
  }
}

// A navigation moves the keyboard focus to the new page's content (as a full page load would), not left on a vanished link.
window.addEventListener('hashchange', () => void render().then(() => root().focus({ preventScroll: true })))
void boot()
