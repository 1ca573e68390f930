/**
 * The broker's fetch session cache (KIP-227): sessions made by full fetches,
 * continued by incremental ones in epoch order, owned by their connection, and
 * bounded node-wide with eviction.
 */
import { ErrorCode, type FetchRequest } from '@tributary/protocol'
import { FetchSessionCache, type SessionResolution } from './fetch-session-cache.js'

const conn = (): AbortController => new AbortController()
const OPTS = { slotsMax: 10, partitionsMax: 100, idleMs: 1000 }

function fetchReq(sessionId: number, sessionEpoch: number, parts: Array<[string, number, number]>, forgotten: Array<[string, number[]]> = [], replicaId = -1): FetchRequest {
  const topics = new Map<string, FetchRequest['topics'][number]>()
  for (const [topic, partition, fetchOffset] of parts) {
    const t = topics.get(topic) ?? { topic, partitions: [] }
    t.partitions.push({ partition, fetchOffset, currentLeaderEpoch: -1, partitionMaxBytes: 1024 })
    topics.set(topic, t)
  }
  return { replicaId, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionId, sessionEpoch, topics: [...topics.values()], forgottenTopics: forgotten.map(([topic, partitions]) => ({ topic, partitions })) }
}

const offsets = (r: SessionResolution): string[] => (r.kind === 'error' ? [] : r.entries.map((e) => `${e.topic}-${e.req.partition}@${e.req.fetchOffset}`).sort())
function sessionOf(r: SessionResolution): number {
  if (r.kind !== 'session') throw new Error(`expected a session, got ${r.kind}`)
  return r.session.id
}

describe('FetchSessionCache', () => {
  it('epoch -1 fetches without a session; epoch 0 makes one holding every partition named', () => {
    const cache = new FetchSessionCache(OPTS)
    const c = conn()
    expect(cache.resolve(fetchReq(0, -1, [['a', 0, 5]]), c.signal, 0).kind).toBe('sessionless')
    expect(cache.size).toBe(0)
    const r = cache.resolve(fetchReq(0, 0, [['a', 0, 5], ['a', 1, 7]]), c.signal, 0)
    expect(r).toMatchObject({ kind: 'session', full: true })
    expect(cache.size).toBe(1)
    expect(cache.cachedPartitions).toBe(2)
  })

  it('an incremental fetch updates what it names, drops what it forgets and reads the whole session', () => {
    const cache = new FetchSessionCache(OPTS)
    const c = conn()
    const id = sessionOf(cache.resolve(fetchReq(0, 0, [['a', 0, 5], ['a', 1, 7], ['b', 0, 1]]), c.signal, 0))
    const r = cache.resolve(fetchReq(id, 1, [['a', 0, 9], ['c', 0, 0]], [['b', [0]]]), c.signal, 10)
    expect(r).toMatchObject({ kind: 'session', full: false })
    expect(offsets(r)).toEqual(['a-0@9', 'a-1@7', 'c-0@0'])
    expect(cache.cachedPartitions).toBe(3)
    expect(offsets(cache.resolve(fetchReq(id, 2, []), c.signal, 20))).toEqual(['a-0@9', 'a-1@7', 'c-0@0'])
  })

  it('a wrong epoch is INVALID_FETCH_SESSION_EPOCH and changes nothing', () => {
    const cache = new FetchSessionCache(OPTS)
    const c = conn()
    const id = sessionOf(cache.resolve(fetchReq(0, 0, [['a', 0, 5]]), c.signal, 0))
    for (const epoch of [2, 7]) {
      const r = cache.resolve(fetchReq(id, epoch, [['a', 0, 100]]), c.signal, 0)
      expect(r).toMatchObject({ kind: 'error', code: ErrorCode.INVALID_FETCH_SESSION_EPOCH })
    }
    expect(offsets(cache.resolve(fetchReq(id, 1, []), c.signal, 0))).toEqual(['a-0@5'])
  })

  it('an unknown id, or another connection\'s session, is FETCH_SESSION_ID_NOT_FOUND', () => {
    const cache = new FetchSessionCache(OPTS)
    const mine = conn()
    const id = sessionOf(cache.resolve(fetchReq(0, 0, [['a', 0, 5]]), mine.signal, 0))
    expect(cache.resolve(fetchReq(id + 1, 1, []), mine.signal, 0)).toMatchObject({ kind: 'error', code: ErrorCode.FETCH_SESSION_ID_NOT_FOUND })
    expect(cache.resolve(fetchReq(id, 1, []), conn().signal, 0)).toMatchObject({ kind: 'error', code: ErrorCode.FETCH_SESSION_ID_NOT_FOUND })
    // nor may another connection close it with a full fetch
    cache.resolve(fetchReq(id, -1, [['a', 0, 5]]), conn().signal, 0)
    expect(cache.resolve(fetchReq(id, 1, []), mine.signal, 0).kind).toBe('session')
  })

  it('a full fetch naming its session closes it (epoch -1) or replaces it (epoch 0)', () => {
    const cache = new FetchSessionCache(OPTS)
    const c = conn()
    const id = sessionOf(cache.resolve(fetchReq(0, 0, [['a', 0, 5]]), c.signal, 0))
    const id2 = sessionOf(cache.resolve(fetchReq(id, 0, [['a', 0, 5], ['a', 1, 0]]), c.signal, 0))
    expect(id2).not.toBe(id)
    expect(cache.size).toBe(1)
    expect(cache.resolve(fetchReq(id2, -1, [['a', 0, 5]]), c.signal, 0).kind).toBe('sessionless')
    expect(cache.size).toBe(0)
    expect(cache.cachedPartitions).toBe(0)
  })

  it('a closed connection takes its sessions with it', () => {
    const cache = new FetchSessionCache(OPTS)
    const c = conn()
    cache.resolve(fetchReq(0, 0, [['a', 0, 5]]), c.signal, 0)
    cache.resolve(fetchReq(0, 0, [['b', 0, 5]]), conn().signal, 0)
    c.abort()
    expect(cache.size).toBe(1)
    expect(cache.cachedPartitions).toBe(1)
  })

  it('full slots: an idle session is evicted for a new one; with none idle, the new fetch goes without a session', () => {
    const cache = new FetchSessionCache({ slotsMax: 2, partitionsMax: 100, idleMs: 1000 })
    const a = sessionOf(cache.resolve(fetchReq(0, 0, [['a', 0, 0]]), conn().signal, 0))
    sessionOf(cache.resolve(fetchReq(0, 0, [['b', 0, 0]]), conn().signal, 500))
    expect(cache.resolve(fetchReq(0, 0, [['c', 0, 0]]), conn().signal, 900).kind).toBe('sessionless')
    expect(cache.refusals).toBe(1)
    const c = conn()
    expect(cache.resolve(fetchReq(0, 0, [['c', 0, 0]]), c.signal, 1000).kind).toBe('session') // a is idle 1000 ms now
    expect(cache.evictions).toBe(1)
    expect(cache.resolve(fetchReq(a, 1, []), c.signal, 1000)).toMatchObject({ kind: 'error', code: ErrorCode.FETCH_SESSION_ID_NOT_FOUND })
    expect(cache.size).toBe(2)
  })

  it('the partition bound holds across sessions; a follower may take a consumer\'s room', () => {
    const cache = new FetchSessionCache({ slotsMax: 10, partitionsMax: 4, idleMs: 60_000 })
    const consumer = cache.resolve(fetchReq(0, 0, [['a', 0, 0], ['a', 1, 0], ['a', 2, 0]]), conn().signal, 0)
    expect(consumer.kind).toBe('session')
    expect(cache.resolve(fetchReq(0, 0, [['b', 0, 0], ['b', 1, 0]]), conn().signal, 1).kind).toBe('sessionless')
    const follower = cache.resolve(fetchReq(0, 0, [['b', 0, 0], ['b', 1, 0]], [], 2), conn().signal, 2)
    expect(follower.kind).toBe('session')
    expect(cache.cachedPartitions).toBe(2)
    expect(cache.resolve(fetchReq(0, 0, [['c', 0, 0], ['c', 1, 0], ['c', 2, 0]], [], 3), conn().signal, 3).kind).toBe('sessionless') // followers do not evict followers
    expect(cache.resolve(fetchReq(0, 0, Array.from({ length: 5 }, (_, i): [string, number, number] => ['d', i, 0])), conn().signal, 4).kind).toBe('sessionless') // larger than the whole cache
  })

  it('a session that outgrows the bound by incremental additions is dropped (the fetcher falls back to full)', () => {
    const cache = new FetchSessionCache({ slotsMax: 10, partitionsMax: 2, idleMs: 60_000 })
    const c = conn()
    const id = sessionOf(cache.resolve(fetchReq(0, 0, [['a', 0, 0]]), c.signal, 0))
    expect(cache.resolve(fetchReq(id, 1, [['a', 1, 0], ['a', 2, 0]]), c.signal, 0)).toMatchObject({ kind: 'error', code: ErrorCode.FETCH_SESSION_ID_NOT_FOUND })
    expect(cache.size).toBe(0)
    expect(cache.cachedPartitions).toBe(0)
  })

  it('evictIdle drops the sessions no fetcher used for idleMs', () => {
    const cache = new FetchSessionCache(OPTS)
    const c = conn()
    const id = sessionOf(cache.resolve(fetchReq(0, 0, [['a', 0, 0]]), c.signal, 0))
    cache.resolve(fetchReq(0, 0, [['b', 0, 0]]), conn().signal, 0)
    cache.resolve(fetchReq(id, 1, []), c.signal, 600)
    cache.evictIdle(1200)
    expect(cache.size).toBe(1)
    expect(cache.resolve(fetchReq(id, 2, []), c.signal, 1200).kind).toBe('session')
  })

  it('slots 0 turns sessions off: full fetches are served without one', () => {
    const cache = new FetchSessionCache({ slotsMax: 0, partitionsMax: 100, idleMs: 1000 })
    expect(cache.resolve(fetchReq(0, 0, [['a', 0, 0]]), conn().signal, 0).kind).toBe('sessionless')
  })

  describe('topics named by id (Kafka listener, Fetch v13+)', () => {
    /** A request naming each topic by name and id, as translate-fetch.ts hands them over. */
    function byId(sessionId: number, sessionEpoch: number, parts: Array<[string, string, number, number]>, forgotten: Array<{ topic?: string; topicId?: string; partitions: number[] }> = []): FetchRequest {
      const r = fetchReq(sessionId, sessionEpoch, parts.map(([topic, , partition, offset]) => [topic, partition, offset]))
      const ids = new Map(parts.map(([topic, id]) => [topic, id]))
      return { ...r, topics: r.topics.map((t) => ({ ...t, topicId: ids.get(t.topic)! })), forgottenTopics: forgotten }
    }
    const idsOf = (r: SessionResolution): string[] => (r.kind === 'error' ? [] : r.entries.map((e) => `${e.topic}/${e.topicId}-${e.req.partition}`).sort())

    it('the session keeps each partition\'s topic id, and a new id given for a name replaces the old', () => {
      const cache = new FetchSessionCache(OPTS)
      const c = conn()
      const id = sessionOf(cache.resolve(byId(0, 0, [['a', 'idA', 0, 0], ['b', 'idB', 0, 0]]), c.signal, 0))
      expect(idsOf(cache.resolve(byId(id, 1, []), c.signal, 0))).toEqual(['a/idA-0', 'b/idB-0'])
      expect(idsOf(cache.resolve(byId(id, 2, [['a', 'idA2', 0, 0]]), c.signal, 0))).toEqual(['a/idA2-0', 'b/idB-0'])
    })

    it('a topic is forgotten by its id alone (deleted: its name is unknown), and only under that id', () => {
      const cache = new FetchSessionCache(OPTS)
      const c = conn()
      const id = sessionOf(cache.resolve(byId(0, 0, [['a', 'idA', 0, 0], ['a', 'idA', 1, 0], ['b', 'idB', 0, 0]]), c.signal, 0))
      // a stale id (the name now caches idB's partitions) forgets nothing
      expect(idsOf(cache.resolve(byId(id, 1, [], [{ topicId: 'idGone', partitions: [0] }]), c.signal, 0))).toHaveLength(3)
      const r = cache.resolve(byId(id, 2, [], [{ topicId: 'idA', partitions: [1] }]), c.signal, 0)
      expect(idsOf(r)).toEqual(['a/idA-0', 'b/idB-0'])
      expect(cache.cachedPartitions).toBe(2)
    })

    it('an id-less request leaves entries without ids (the WebSocket listener\'s fetches)', () => {
      const cache = new FetchSessionCache(OPTS)
      const c = conn()
      const r = cache.resolve(fetchReq(0, 0, [['a', 0, 0]]), c.signal, 0)
      expect(r.kind === 'session' && r.entries.every((e) => !('topicId' in e))).toBe(true)
    })
  })
})
