/**
 * The client's clock seam: a client built with `clock` takes every timestamp,
 * deadline and timer from it, so a test (or a simulation) moves its time.
 */
import { afterEach, describe, expect, test } from '@jest/globals'
import { ApiKey, type Clock } from '@tributary/protocol'
import { Tributary } from './tributary.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { fakeClient, waitFor } from './testing/helpers.js'

/** Time moves only in `fireUntil`; timers fire in time order. */
class StepClock implements Clock {
  private readonly timers: Array<{ at: number; fn: () => void; live: boolean }> = []
  constructor(public t: number) {}
  now = (): number => this.t
  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn, live: true }
    this.timers.push(timer)
    return () => void (timer.live = false)
  }
  /** Live timers due at or before `at`, earliest first. */
  due(at: number): number[] {
    return this.timers.filter((x) => x.live && x.at <= at).map((x) => x.at).sort((a, b) => a - b)
  }
  fireUntil(at: number): void {
    for (;;) {
      const next = this.timers.filter((x) => x.live && x.at <= at).sort((a, b) => a.at - b.at)[0]
      if (!next) break
      next.live = false
      this.t = Math.max(this.t, next.at)
      next.fn()
    }
    this.t = Math.max(this.t, at)
  }
}

const START_MS = 1_000_000 // far from Date.now(): a timestamp taken from the wall shows at once
let client: Tributary | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

describe('an injected clock', () => {
  test('linger waits on it, and records are stamped with its time', async () => {
    const fake = new FakeCluster(1)
    fake.createTopic('events', 1)
    const clock = new StepClock(START_MS)
    client = fakeClient(fake, { clock })
    const producer = client.producer({ lingerMs: 60_000, idempotent: false, acks: 1 })
    await producer.connect()
    let acked = false
    const sent = producer.send({ topic: 'events', messages: [{ value: 'a' }] }).then((r) => ((acked = true), r))
    // The linger timer is armed on our clock; nothing goes before it fires.
    await waitFor(() => clock.due(START_MS + 60_000).includes(START_MS + 60_000), 'the linger timer')
    expect(fake.requests.some((r) => r.apiKey === ApiKey.Produce)).toBe(false)
    expect(acked).toBe(false)
    clock.fireUntil(START_MS + 60_000)
    const [meta] = await sent
    expect(meta.offset).toBe(0)
    expect(fake.records('events', 0).map((r) => r.timestamp)).toEqual([START_MS])
  })

  test('one-record sends of one synchronous run share a reading per 16 sends; a later turn reads afresh', async () => {
    const fake = new FakeCluster(1)
    fake.createTopic('events', 1)
    const clock = new StepClock(START_MS)
    let reads = 0
    const counting: Clock = { now: () => (reads++, clock.now()), setTimeout: (fn, ms) => clock.setTimeout(fn, ms) }
    client = fakeClient(fake, { clock: counting })
    const producer = client.producer({ lingerMs: 0, idempotent: false, acks: 1 })
    await producer.connect()
    const before = reads
    const run: Array<Promise<unknown>> = []
    for (let i = 0; i < 40; i++) {
      clock.t++ // 1 ms per send: a shared reading shows as an older timestamp
      run.push(producer.send({ topic: 'events', messages: [{ value: `r${i}` }] }))
    }
    expect(reads - before).toBe(3) // sends 0, 16 and 32 read the clock
    await Promise.all(run)
    const stamped = fake.records('events', 0).map((r) => r.timestamp - START_MS)
    expect(stamped).toEqual(Array.from({ length: 40 }, (_, i) => 1 + 16 * Math.floor(i / 16)))
    // One send per turn, as an application serving events: each is stamped with its own time.
    for (let i = 0; i < 3; i++) {
      clock.t += 1_000
      await producer.send({ topic: 'events', messages: [{ value: `t${i}` }] })
    }
    expect(fake.records('events', 0).slice(40).map((r) => r.timestamp - START_MS)).toEqual([1_040, 2_040, 3_040])
  })

  test('the periodic metadata refresh is a timer of the clock', async () => {
    const fake = new FakeCluster(1)
    fake.createTopic('events', 1)
    const clock = new StepClock(START_MS)
    client = fakeClient(fake, { clock, metadataMaxAgeMs: 30_000 })
    await client.producer().connect() // the first refresh arms the periodic one
    const metadataRequests = (): number => fake.requests.filter((r) => r.apiKey === ApiKey.Metadata).length
    const before = metadataRequests()
    await waitFor(() => clock.due(START_MS + 30_000).includes(START_MS + 30_000), 'the refresh timer')
    expect(metadataRequests()).toBe(before)
    clock.fireUntil(START_MS + 30_000)
    await waitFor(() => metadataRequests() > before, 'a refresh once the clock reached metadataMaxAgeMs')
  })

  test('a clock without now/setTimeout is refused', () => {
    expect(() => new Tributary({ brokers: ['ws://127.0.0.1:1'], clock: {} as Clock })).toThrow(/clock must have now\(\) and setTimeout/)
  })
})
