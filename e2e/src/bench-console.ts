/**
 * The web console's benchmark (`npm run bench:console`; figures, not a test):
 *
 * - overview render: from navigation start to the overview's first full draw
 *   (the `console:overview-rendered` performance mark) on a local 3-node
 *   cluster with 20 topics, over several fresh loads;
 * - live tail at 10,000 rec/s: a Node producer paces 10,000 records a second
 *   into a topic while the console tails it; the page's responsiveness is the
 *   main thread's worst stall (a 50 ms interval timer's largest lateness), its
 *   long tasks, and the time from a click on "Stop tail" to the page showing it.
 *
 * Options: --loads N (default 5), --seconds S (tail duration, default 10),
 * --rate R (records per second, default 10000), --json.
 */
import type { Page } from 'playwright-core'
import { Tributary } from '@tributary/client'
import { startCluster } from './cluster.js'
import { consoleUrl, openConsole, waitForText } from './console-driver.js'

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : def
}
const LOADS = arg('loads', 5)
const SECONDS = arg('seconds', 10)
const RATE = arg('rate', 10_000)
/** Records per producer send: the pace is RATE / BATCH sends a second. */
const BATCH = 100
const TOPICS = 20

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN

async function main(): Promise<void> {
  const cluster = await startCluster({ nodes: 3, logLevel: 'warn' })
  const sdk = new Tributary({ brokers: cluster.bootstrap, clientId: 'bench-console' })
  const browser = await openConsole(cluster.node(1).url)
  try {
    await sdk.admin().createTopics({ topics: Array.from({ length: TOPICS }, (_, i) => ({ topic: `bench-${i}`, partitions: 3, replicationFactor: 3 })) })
    const overview = await overviewRenders(browser.page, cluster.node(1).url)
    const tail = await liveTail(browser.page, sdk, cluster.node(1).url)
    const out = { overviewRenderMs: { loads: overview.length, p50: quantile(overview, 0.5), max: Math.max(...overview) }, tail }
    if (process.argv.includes('--json')) console.log(JSON.stringify(out))
    else {
      console.log(`overview render (navigation start → first full draw), ${overview.length} loads: p50 ${out.overviewRenderMs.p50.toFixed(0)} ms, max ${out.overviewRenderMs.max.toFixed(0)} ms`)
      console.log(`live tail, ${tail.seconds} s at ${tail.targetRate} rec/s: produced ${tail.produced} (${tail.producedRate.toFixed(0)}/s), the page counted ${tail.received} (last shown rate ${tail.shownRate}/s)`)
      console.log(`  main thread: worst timer lateness ${tail.maxLatenessMs.toFixed(0)} ms, long tasks ${tail.longTasks} (${tail.longTaskMs.toFixed(0)} ms in all, longest ${tail.longestTaskMs.toFixed(0)} ms); click on Stop tail → shown ${tail.clickToPaintMs.toFixed(0)} ms`)
    }
  } finally {
    await browser.close()
    await sdk.close()
    await cluster.stop()
  }
}

async function overviewRenders(page: Page, nodeUrl: string): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < LOADS; i++) {
    await page.goto('about:blank')
    await page.goto(consoleUrl(nodeUrl, '#/overview'))
    const h = await page.waitForFunction(() => performance.getEntriesByName('console:overview-rendered')[0]?.startTime, undefined, { timeout: 30_000, polling: 20 })
    out.push(Number(await h.jsonValue()))
  }
  return out
}

async function liveTail(page: Page, sdk: Tributary, nodeUrl: string) {
  await sdk.admin().createTopic({ topic: 'tail-bench', partitions: 1, replicationFactor: 3 })
  await page.goto(consoleUrl(nodeUrl, '#/messages/tail-bench?p=0'))
  await waitForText(page, '#msg-count', /records/)
  await page.click('#tail-toggle')
  await waitForText(page, '#tail-status', /live: 0 received/)
  // The probe: a 50 ms timer's lateness (any main-thread stall shows in it) and long tasks.
  await page.evaluate(() => {
    const w = window as any
    w.benchProbe = { maxLateness: 0, longTasks: 0, longTaskMs: 0, longest: 0 }
    let expected = performance.now() + 50
    const tick = (): void => {
      const now = performance.now()
      w.benchProbe.maxLateness = Math.max(w.benchProbe.maxLateness, now - expected)
      expected = now + 50
      w.benchTimer = setTimeout(tick, 50)
    }
    w.benchTimer = setTimeout(tick, 50)
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        w.benchProbe.longTasks++
        w.benchProbe.longTaskMs += e.duration
        w.benchProbe.longest = Math.max(w.benchProbe.longest, e.duration)
      }
    }).observe({ entryTypes: ['longtask'] })
  })
  const producer = sdk.producer({ acks: 1, lingerMs: 5 })
  const started = Date.now()
  let produced = 0
  const value = 'x'.repeat(100)
  const inFlight: Array<Promise<unknown>> = []
  for (let sent = 0; Date.now() - started < SECONDS * 1000;) {
    const due = Math.floor(((Date.now() - started) / 1000) * RATE)
    while (sent < due) {
      const n = Math.min(BATCH, due - sent)
      inFlight.push(producer.send({ topic: 'tail-bench', messages: Array.from({ length: n }, (_, i) => ({ key: `k${(sent + i) % 64}`, value })) }).then(() => { produced += n }))
      sent += n
    }
    if (inFlight.length > 200) await Promise.all(inFlight.splice(0))
    await new Promise((r) => setTimeout(r, 5))
  }
  await Promise.all(inFlight)
  const elapsed = (Date.now() - started) / 1000
  await producer.disconnect()
  const clickStart = Date.now()
  await page.click('#tail-toggle')
  await page.waitForFunction(() => document.getElementById('tail-toggle')?.textContent === 'Tail live', undefined, { polling: 'raf' })
  const clickToPaintMs = Date.now() - clickStart
  const probe = await page.evaluate(() => (window as any).benchProbe)
  const status = await page.locator('#tail-status').innerText()
  const received = Number(/live: (\d+) received/.exec(status)?.[1] ?? NaN)
  const shownRate = Number(/(\d+)\/s/.exec(status)?.[1] ?? NaN)
  return {
    seconds: SECONDS, targetRate: RATE, produced, producedRate: produced / elapsed, received, shownRate,
    maxLatenessMs: probe.maxLateness as number, longTasks: probe.longTasks as number, longTaskMs: probe.longTaskMs as number, longestTaskMs: probe.longest as number,
    clickToPaintMs,
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
