import { href, parseRoute } from './router.js'

test('a route is the page, its decoded arguments and its query; unknown pages are notfound, empty is the overview', () => {
  expect(parseRoute('')).toMatchObject({ page: 'overview', args: [] })
  expect(parseRoute('#/topic/a%2Fb')).toMatchObject({ page: 'topic', args: ['a/b'] })
  const r = parseRoute('#/messages/orders?p=2&from=offset&at=42')
  expect([r.page, r.args, r.query.get('p'), r.query.get('at')]).toEqual(['messages', ['orders'], '2', '42'])
  expect(parseRoute('#/nope').page).toBe('notfound')
  expect(parseRoute('#/topic/%E0%A4%A').args).toEqual(['%E0%A4%A'])
})

test('href round-trips through parseRoute, leaving out empty query values', () => {
  const link = href('messages', 'a b/c', { p: 0, q: '', view: 'hex' })
  expect(link).toBe('#/messages/a%20b%2Fc?p=0&view=hex')
  const r = parseRoute(link)
  expect([r.page, r.args, r.query.get('p'), r.query.has('q')]).toEqual(['messages', ['a b/c'], '0', false])
})
