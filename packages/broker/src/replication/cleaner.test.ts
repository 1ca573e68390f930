/**
 * The background cleaner applies the topic's retention and compaction live,
 * moving the log start offset; consumers below it get OFFSET_OUT_OF_RANGE.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { ErrorCode } from '@tributary/protocol'
import { systemClock, type Clock } from '../seams.js'
import { SimCluster, startThreeNodes, waitFor } from './sim-cluster.js'
import { batchOf, fetchFrom, produce, readAll, recordsIn } from './sim-client.js'

let cluster: SimCluster | undefined

afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

const threeNodes = (topicConfigs: Record<string, string> = {}, clock: Clock = systemClock): Promise<SimCluster> =>
  startThreeNodes((c) => { cluster = c }, topicConfigs, clock)

const hwEverywhere = (c: SimCluster, hw: number) => waitFor(() => [1, 2, 3].every((id) => c.manager(id).highWatermark('t', 0) === hw), 2000, `HW ${hw} everywhere`)

describe('retention', () => {
  it('retention.ms drops old committed batches on every replica and moves the log start', async () => {
    const c = await threeNodes()
    const old = Date.now() - 3_600_000
    for (let i = 0; i < 3; i++) await produce(c, 1, 't', 0, batchOf([`old${i}`], { timestamp: old }))
    await produce(c, 1, 't', 0, batchOf(['new']))
    await hwEverywhere(c, 4)
    expect((await c.manager(1).runCleaner()).deletedBatches).toBe(0) // default retention is 7 days
    c.setTopicConfig('t', { 'retention.ms': '60000' }) // live change, no restart
    for (const id of [1, 2, 3]) expect((await c.manager(id).runCleaner()).deletedBatches).toBe(3)
    for (const id of [1, 2, 3]) expect(c.manager(id).partition('t', 0)!.logStartOffset()).toBe(3)
    expect(await fetchFrom(c, 1, 't', 0, 0)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 3 })
    expect(recordsIn((await fetchFrom(c, 1, 't', 0, 3)).records).map((r) => r.value)).toEqual(['new'])
  })

  it('retention.bytes keeps the log under the bound, never past the HW', async () => {
    const c = await threeNodes()
    const batch = batchOf(['z'.repeat(100)])
    for (let i = 0; i < 10; i++) await produce(c, 1, 't', 0, batchOf(['z'.repeat(100)]))
    await hwEverywhere(c, 10)
    c.setTopicConfig('t', { 'retention.bytes': String(batch.length * 3) })
    await c.manager(1).runCleaner()
    const p = c.manager(1).partition('t', 0)!
    expect(p.log.sizeBytes()).toBeLessThanOrEqual(batch.length * 3)
    expect(p.logStartOffset()).toBe(7)
  })

  it('cleanup.policy=compact keeps the newest value per key; tombstones stay delete.retention.ms after the cleaner first keeps them', async () => {
    let skewMs = 0
    const clock: Clock = { now: () => Date.now() + skewMs, setTimeout: systemClock.setTimeout }
    const c = await threeNodes({ 'cleanup.policy': 'compact', 'delete.retention.ms': '1000' }, clock)
    const past = Date.now() - 60_000
    await produce(c, 1, 't', 0, batchOf(['v1'], { key: 'k1', timestamp: past }))
    await produce(c, 1, 't', 0, batchOf(['v2'], { key: 'k2', timestamp: past }))
    await produce(c, 1, 't', 0, batchOf(['v3'], { key: 'k1', timestamp: past }))
    await produce(c, 1, 't', 0, batchOf([null], { key: 'k2', timestamp: past }))
    await produce(c, 1, 't', 0, batchOf(['v4'], { key: 'k3' }))
    await hwEverywhere(c, 5)
    const left = async (id: number) => recordsIn(await readAll(c, id, 't', 0)).map((r) => [r.offset, r.key, r.value])
    for (const id of [1, 2, 3]) await c.manager(id).runCleaner()
    // the tombstone's own timestamp is a minute old, yet the first pass keeps it for delete.retention.ms
    for (const id of [1, 2, 3]) expect(await left(id)).toEqual([[2, 'k1', 'v3'], [3, 'k2', null], [4, 'k3', 'v4']])
    skewMs = 1000
    for (const id of [1, 2, 3]) await c.manager(id).runCleaner()
    for (const id of [1, 2, 3]) expect(await left(id)).toEqual([[2, 'k1', 'v3'], [4, 'k3', 'v4']])
    expect(await produce(c, 1, 't', 0, batchOf(['v5'], { key: 'k1' }))).toMatchObject({ errorCode: 0, baseOffset: 5 })
  })
})
