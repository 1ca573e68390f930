/**
 * The web console against a real 3-node cluster, in headless Chromium: every
 * node serves it at /; a topic created in the console, three messages produced
 * in it and seen in a live tail and in the message browser; an SDK consumer
 * group's lag seen falling to 0; a broker killed with SIGKILL seen fenced with
 * under-replicated partitions, then healed after its restart. Every page is
 * checked with axe-core (no serious violations) and saved as a 1280×800
 * screenshot (e2e/console-screenshots/, not committed).
 */
import { Tributary } from '@tributary/client'
import { goto, openConsole, PHONE, DESKTOP, screenshot, seriousViolations, waitForText, type ConsoleBrowser } from './console-driver.js'
import { startCluster, type TestCluster } from './cluster.js'

const TOPIC = 'console-orders'
const GROUP = 'console-group'

let cluster: TestCluster
let browser: ConsoleBrowser
let sdk: Tributary

beforeAll(async () => {
  // A short replica lag bound: a killed broker leaves the ISR (and counts as under-replicated) within ~1 s.
  cluster = await startCluster({ nodes: 3, logLevel: 'warn', brokerArgs: ['--replica-lag-time-max-ms', '1000'] })
  sdk = new Tributary({ brokers: cluster.bootstrap, clientId: 'console-test' })
  browser = await openConsole(cluster.node(1).url)
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await sdk?.close()
  await cluster?.stop()
}, 30_000)

async function checkPage(name: string): Promise<void> {
  expect(await seriousViolations(browser.page)).toEqual([])
  await screenshot(browser.page, name)
}

test('every node serves the console at /, with its bundle and stylesheet', async () => {
  for (const n of cluster.nodes) {
    const index = await cluster.http(n.nodeId, '/')
    expect(index.status).toBe(200)
    expect(index.text).toContain('<script type="module" src="app.js"></script>')
  }
  const js = await cluster.http(2, '/app.js')
  expect(js.status).toBe(200)
  expect(js.text.length).toBeGreaterThan(10_000)
  expect((await cluster.http(3, '/app.css')).status).toBe(200)
})

test('overview shows the cluster, its quorum and its brokers', async () => {
  const { page } = browser
  await waitForText(page, '#cluster-id .value', /\w{8,}/)
  await waitForText(page, '#quorum-leader .value', /node \d/)
  await waitForText(page, '#brokers-count .value', /^3 live$/)
  for (const id of [1, 2, 3]) await waitForText(page, `[data-broker-status="${id}"]`, /^live$/)
  await checkPage('overview')
  // The keyboard: the skip link first, then the pages; Enter on a page link opens it.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await page.keyboard.press('Tab')
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
  await page.keyboard.press('Tab')
  await page.keyboard.press('Tab')
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Topics')
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => location.hash === '#/topics')
  await goto(page, '#/overview')
})

test('a topic created in the console gets three messages from its produce form, seen live and in the browser', async () => {
  const { page } = browser
  await goto(page, '#/topics')
  await page.fill('#create-name', TOPIC)
  await page.fill('#create-partitions', '3')
  await page.fill('#create-rf', '3')
  await checkPage('topics')
  await page.click('#create-submit')
  await page.waitForFunction((t) => location.hash === `#/topic/${t}`, TOPIC, { timeout: 20_000 })
  await waitForText(page, 'main h1', new RegExp(`Topic ${TOPIC}`))
  expect(await page.locator('main table').first().locator('tbody tr').count()).toBe(3)
  await checkPage('topic')
  // A config the broker refuses shows its error in place; the page stays.
  const retention = page.locator('input[aria-label="retention.ms"]')
  await retention.fill('not-a-number')
  await page.locator('tr', { has: retention }).locator('button', { hasText: 'Save' }).click()
  await waitForText(page, 'main', /INVALID_CONFIG|invalid|not a/i)

  await goto(page, `#/messages/${TOPIC}?p=0`)
  await waitForText(page, '#msg-count', /records/)
  await page.click('#tail-toggle')
  await waitForText(page, '#tail-status', /live: 0 received/)
  await page.selectOption('#produce-partition', '0')
  for (const i of [1, 2, 3]) {
    await page.fill('#produce-key', `k${i}`)
    await page.fill('#produce-value', JSON.stringify({ order: i }))
    await page.fill('#produce-headers', `source=console\nn=${i}`)
    await page.click('#produce-send')
    await waitForText(page, '#produce-status', new RegExp(`offset ${i - 1}$`))
  }
  await waitForText(page, '#tail-status', /live: 3 received/)
  const tailText = await page.locator('#msg-results').innerText()
  for (const i of [1, 2, 3]) expect(tailText).toContain(`{"order":${i}}`)
  await screenshot(page, 'messages-tail')
  await page.click('#tail-toggle')

  await goto(page, `#/messages/${TOPIC}?p=0&from=earliest&view=json`)
  await waitForText(page, '#msg-count', /^3 records from offset 0$/)
  const rows = await page.locator('#msg-results tbody tr').allInnerTexts()
  expect(rows).toHaveLength(3)
  expect(rows[0]).toMatch(/k1[\s\S]*"order": 1[\s\S]*source=console/)
  await page.fill('#msg-filter', 'k2')
  await page.waitForFunction(() => document.querySelectorAll('#msg-results tbody tr').length === 1)
  await checkPage('messages')

  // The topics list sizes each topic from the brokers' /metrics: the three records are some bytes, not '–'.
  await goto(page, '#/topics')
  await page.waitForFunction((name) => Array.from(document.querySelectorAll('main table tbody tr'))
    .some((tr) => tr.children[0]?.textContent === name && /^\d+(\.\d)? (B|KiB)$/.test(tr.children[3]?.textContent ?? '')), TOPIC, { timeout: 15_000 })
  expect(browser.errors).toEqual([])
}, 60_000)

test('partitions are added and a topic deleted from its page, the deletion only once its name is typed', async () => {
  const { page } = browser
  await sdk.admin().createTopic({ topic: 'console-scratch', partitions: 1, replicationFactor: 3 })
  await goto(page, '#/topic/console-scratch')
  await waitForText(page, 'main h1', /Topic console-scratch/)
  await page.fill('#partitions-count', '2')
  await page.click('#partitions-add')
  await page.waitForFunction(() => document.querySelectorAll('main table')[0]?.querySelectorAll('tbody tr').length === 2, undefined, { timeout: 15_000 })
  expect(await page.isDisabled('#delete-topic')).toBe(true)
  await page.fill('#delete-confirm', 'console-scratc')
  expect(await page.isDisabled('#delete-topic')).toBe(true)
  await page.fill('#delete-confirm', 'console-scratch')
  await page.click('#delete-topic')
  await page.waitForFunction(() => location.hash === '#/topics', undefined, { timeout: 20_000 })
  // Every node applies the removal in its own time; the one the SDK asks may lag the console's by a moment.
  await cluster.waitFor(async () => !(await sdk.admin().listTopics()).includes('console-scratch'), { message: 'console-scratch to be gone' })
}, 60_000)

test('a consumer group\'s lag falls to 0 in the console; back and forward move between pages', async () => {
  const { page } = browser
  await sdk.producer().send({ topic: TOPIC, messages: Array.from({ length: 30 }, (_, i) => ({ key: `bulk${i}`, value: `v${i}` })) })
  // Committed offsets at 0 before anyone consumes: the group exists, 33 records behind.
  const admin = sdk.admin()
  for (const partition of [0, 1, 2]) await admin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [{ partition, offset: 0 }] })
  await goto(page, `#/group/${GROUP}`)
  await page.waitForFunction(() => Number(document.querySelector('#group-lag')?.getAttribute('data-lag')) === 33, undefined, { timeout: 15_000 })
  const consumer = sdk.consumer({ groupId: GROUP, fromBeginning: true, autoCommitIntervalMs: 200, maxWaitTimeInMs: 100 })
  await consumer.subscribe({ topics: [TOPIC] })
  await consumer.run({ eachMessage: async () => {} })
  try {
    await page.waitForFunction(() => Number(document.querySelector('#group-lag')?.getAttribute('data-lag')) === 0, undefined, { timeout: 20_000 })
    await waitForText(page, '#group-state', /stable|reconciling|assigning/)
    await waitForText(page, '#reset-reason', /has members/)
    await checkPage('group')
  } finally {
    await consumer.disconnect()
  }
  await goto(page, '#/groups')
  await waitForText(page, 'main table', new RegExp(GROUP))
  await checkPage('groups')

  await goto(page, '#/metadata')
  await waitForText(page, 'main table', /RegisterBroker|Topic|PartitionChange/)
  await checkPage('metadata-log')

  await page.goBack()
  await page.waitForFunction(() => location.hash === '#/groups')
  await waitForText(page, 'main h1', /Consumer groups/)
  await page.goForward()
  await page.waitForFunction(() => location.hash === '#/metadata')
  await waitForText(page, '#log-status', /commit index \d+/)
}, 60_000)

test('a broker killed with SIGKILL shows fenced with under-replicated partitions, and heals after its restart', async () => {
  const { page } = browser
  await goto(page, '#/overview')
  await waitForText(page, '#brokers-count .value', /^3 live$/)
  await cluster.kill(3)
  await waitForText(page, '[data-broker-status="3"]', /^fenced$/, 20_000)
  await page.waitForFunction(() => Number(document.querySelector('#under-replicated')?.getAttribute('data-count')) > 0, undefined, { timeout: 20_000 })
  await screenshot(page, 'overview-broker-down')
  await page.click('#under-replicated')
  await page.waitForFunction(() => location.hash.includes('filter=under-replicated'))
  await waitForText(page, 'main table', new RegExp(TOPIC))
  await goto(page, '#/overview')
  await cluster.restart(3)
  await waitForText(page, '[data-broker-status="3"]', /^live$/, 20_000)
  await page.waitForFunction(() => document.querySelector('#under-replicated')?.getAttribute('data-count') === '0', undefined, { timeout: 30_000 })
}, 90_000)

test('at a phone\'s width no page is wider than the screen', async () => {
  const { page } = browser
  await page.setViewportSize(PHONE)
  try {
    for (const [name, hash] of [['overview', '#/overview'], ['topics', '#/topics'], ['topic', `#/topic/${TOPIC}`], ['messages', `#/messages/${TOPIC}`], ['group', `#/group/${GROUP}`], ['metadata-log', '#/metadata']]) {
      await goto(page, hash)
      await page.waitForFunction(() => !document.querySelector('main .loading'), undefined, { timeout: 15_000 })
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect([hash, overflow]).toEqual([hash, 0])
      await screenshot(page, `phone-${name}`)
    }
  } finally {
    await page.setViewportSize(DESKTOP)
  }
  expect(browser.errors).toEqual([])
})
