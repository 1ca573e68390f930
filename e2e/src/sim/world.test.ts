/**
 * The simulated world and network keep the promises the whole-cluster runs
 * rest on: time order, one owner's timers dying with it, TCP's ordering, held
 * frames across a cut, resets that lose what was in flight, leaks caught.
 */
import { afterEach, describe, expect, test } from '@jest/globals'
import type { Transport } from '@tributary/protocol'
import { Guard } from './guard.js'
import { SimNetwork } from './network.js'
import { SIM_EPOCH_MS, SimWorld } from './world.js'

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs)

describe('the world', () => {
  test('runs events in time order, ties in the order they were scheduled', async () => {
    const w = new SimWorld(1)
    const seen: string[] = []
    w.schedule(SIM_EPOCH_MS + 20, 1, 'e', () => seen.push('b@20'))
    w.schedule(SIM_EPOCH_MS + 10, 1, 'e', () => seen.push('a@10'))
    w.schedule(SIM_EPOCH_MS + 20, 2, 'e', () => seen.push('c@20'))
    const cancel = w.schedule(SIM_EPOCH_MS + 15, 1, 'e', () => seen.push('cancelled'))
    cancel()
    expect(await w.runUntil(() => false, SIM_EPOCH_MS + 1000)).toBe('idle')
    expect(seen).toEqual(['a@10', 'b@20', 'c@20'])
    expect(w.now).toBe(SIM_EPOCH_MS + 20)
  })

  test('moves time only once every promise chain and setImmediate of the last event has run out (under a guard)', async () => {
    const w = new SimWorld(1)
    const guard = new Guard({ now: () => w.now, monotonic: () => 0, random: () => 0 })
    const clock = w.clockFor(1)
    const steps: number[] = []
    clock.setTimeout(async () => {
      for (let i = 0; i < 50; i++) await Promise.resolve()
      await new Promise<void>((r) => setImmediate(r))
      steps.push(clock.now())
      clock.setTimeout(() => steps.push(clock.now()), 5)
    }, 10)
    clock.setTimeout(() => steps.push(clock.now()), 11)
    guard.install()
    try {
      await w.runUntil(() => false, SIM_EPOCH_MS + 1000)
    } finally {
      guard.uninstall()
    }
    expect(guard.leakCount).toBe(0)
    expect(steps.map((t) => t - SIM_EPOCH_MS)).toEqual([10, 11, 15])
  })

  test('an event that throws fails the run and stops it', async () => {
    const w = new SimWorld(1)
    let after = false
    w.schedule(SIM_EPOCH_MS + 1, 1, 'e', () => { throw new Error('boom') })
    w.schedule(SIM_EPOCH_MS + 2, 1, 'e', () => { after = true })
    expect(await w.runUntil(() => false, SIM_EPOCH_MS + 1000)).toBe('stopped')
    expect(w.failures).toEqual([expect.stringMatching(/n1 e threw: Error: boom/)])
    expect(after).toBe(false)
  })

  test('a killed clock fires nothing again, armed or new', async () => {
    const w = new SimWorld(1)
    const clock = w.clockFor(1)
    const fired: string[] = []
    clock.setTimeout(() => fired.push('armed'), 10)
    clock.kill()
    clock.setTimeout(() => fired.push('new'), 10)
    await w.runUntil(() => false, SIM_EPOCH_MS + 1000)
    expect(fired).toEqual([])
  })

  test('the hash is the same for the same events and differs when one differs', async () => {
    const run = async (payload: number): Promise<string> => {
      const w = new SimWorld(7)
      w.schedule(SIM_EPOCH_MS + 1, 1, 'e', () => w.record(1, 'frame', '#1', bytes(payload)))
      await w.runUntil(() => false, SIM_EPOCH_MS + 10)
      return w.digest()
    }
    expect(await run(1)).toBe(await run(1))
    expect(await run(1)).not.toBe(await run(2))
  })
})

/** A client (owner 101) connected to a listener of owner 1, with what each side received. */
async function connected(opts: { maxDelayMs: number }) {
  const world = new SimWorld(3)
  const net = new SimNetwork(world, world.rng.fork(), { minDelayMs: 0, maxDelayMs: opts.maxDelayMs })
  const atServer: string[] = []
  const atClient: string[] = []
  let server: Transport | undefined
  net.endpoint(1).listen('ws://n1:9092', (t) => {
    server = t
    t.onFrame = (f) => atServer.push(`frame ${f[0]}`)
    t.onClose = (code) => atServer.push(`close ${code}`)
  })
  let client: Transport | undefined
  void net.endpoint(101).connector('ws://n1:9092').then((t) => {
    client = t
    t.onFrame = (f) => atClient.push(`frame ${f[0]}`)
    t.onClose = (code) => atClient.push(`close ${code}`)
  })
  await world.runUntil(() => client !== undefined, SIM_EPOCH_MS + 1000)
  return { world, net, client: client!, server: server!, atServer, atClient, run: () => world.runUntil(() => false, world.now + 60_000) }
}

describe('the network', () => {
  test('frames on one connection arrive in order, whatever their delays', async () => {
    const c = await connected({ maxDelayMs: 50 })
    for (let i = 0; i < 20; i++) c.client.send(bytes(i))
    await c.run()
    expect(c.atServer).toEqual(Array.from({ length: 20 }, (_, i) => `frame ${i}`))
  })

  test('a cut link holds frames until the heal, then delivers them in order', async () => {
    const c = await connected({ maxDelayMs: 5 })
    c.net.cutLink(101, 1)
    c.client.send(bytes(1))
    c.client.send(bytes(2))
    c.server.send(bytes(9)) // the other way is open
    await c.run()
    expect(c.atServer).toEqual([])
    expect(c.atClient).toEqual(['frame 9'])
    c.net.heal()
    c.client.send(bytes(3))
    await c.run()
    expect(c.atServer).toEqual(['frame 1', 'frame 2', 'frame 3'])
  })

  test('a reset loses what was in flight and closes both ends', async () => {
    const c = await connected({ maxDelayMs: 5 })
    c.net.cutLink(101, 1)
    c.client.send(bytes(1))
    await c.run()
    expect(c.net.resetOne(0)).toBe(true)
    c.net.heal()
    await c.run()
    expect(c.atServer).toEqual(['close 1006'])
    expect(c.atClient).toEqual(['close 1006'])
  })

  test('a close reaches the peer after the frames sent before it', async () => {
    const c = await connected({ maxDelayMs: 30 })
    c.client.send(bytes(1))
    c.client.close(1000, 'bye')
    c.client.send(bytes(2)) // after close: dropped
    await c.run()
    expect(c.atServer).toEqual(['frame 1', 'close 1000'])
    expect(c.atClient).toEqual(['close 1000'])
  })

  test('a crashed owner stops listening, its connections reset, its old endpoint never connects', async () => {
    const c = await connected({ maxDelayMs: 5 })
    const old = c.net.endpoint(1)
    c.net.crash(1)
    let outcome = 'pending'
    old.connector('ws://n1:9092').then(() => (outcome = 'connected'), () => (outcome = 'failed'))
    let refused = ''
    c.net.endpoint(101).connector('ws://n1:9092').catch((err: Error) => (refused = err.message))
    await c.run()
    expect(c.atClient).toEqual(['close 1006'])
    expect(outcome).toBe('pending')
    expect(refused).toMatch(/connection refused/)
  })
})

describe('the guard', () => {
  let guard: Guard | undefined
  afterEach(() => guard?.uninstall())

  test('records real timers, Date.now and Math.random reached from our code, and answers them from the simulation', () => {
    guard = new Guard({ now: () => 42, monotonic: () => 7, random: () => 0.5 })
    guard.install()
    expect(Date.now()).toBe(42)
    expect(Math.random()).toBe(0.5)
    expect(performance.now()).toBe(7)
    expect(process.cpuUsage()).toEqual({ user: 7000, system: 0 })
    clearTimeout(setTimeout(() => {}, 1000))
    guard.uninstall()
    expect(guard.leakCount).toBe(3)
    expect(guard.leaks.map((l) => l.what)).toEqual(['Date.now()', 'Math.random()', 'setTimeout(1000)'])
    expect(guard.leaks[0]!.stack).toMatch(/sim\/world\.test\.ts/)
    expect(Date.now()).toBeGreaterThan(42)
  })

  test('counts setImmediate work still pending, which the world waits for', async () => {
    guard = new Guard({ now: () => 0, monotonic: () => 0, random: () => 0 })
    guard.install()
    const { pendingImmediates } = await import('./guard.js')
    let ran = false
    setImmediate(() => { ran = true })
    clearImmediate(setImmediate(() => {}))
    expect(pendingImmediates()).toBe(1)
    await new Promise<void>((r) => setImmediate(r))
    expect(ran).toBe(true)
    expect(pendingImmediates()).toBe(0)
  })
})
