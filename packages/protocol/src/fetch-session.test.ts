/**
 * The fetcher's side of KIP-227 fetch sessions: what each request carries
 * through full → incremental → forgotten partitions → session errors → fallback.
 */
import { ErrorCode } from './errors.js'
import { FETCH_SESSION_FINAL_EPOCH, FETCH_SESSION_INITIAL_EPOCH, FetchSessionBuilder, nextFetchSessionEpoch, type SessionPartition } from './fetch-session.js'

const part = (topic: string, partition: number, fetchOffset: number): SessionPartition => ({ topic, partition, fetchOffset, currentLeaderEpoch: 3, partitionMaxBytes: 1024 })
const names = (topics: Array<{ topic: string; partitions: Array<{ partition: number } | number> }>): string[] =>
  topics.flatMap((t) => t.partitions.map((p) => `${t.topic}-${typeof p === 'number' ? p : p.partition}`)).sort()

describe('FetchSessionBuilder', () => {
  it('starts with a full fetch asking for a session, naming every partition', () => {
    const b = new FetchSessionBuilder()
    const req = b.build([part('a', 0, 5), part('a', 1, 7), part('b', 0, 0)])
    expect(req).toMatchObject({ sessionId: 0, sessionEpoch: FETCH_SESSION_INITIAL_EPOCH, full: true, forgottenTopics: [] })
    expect(names(req.topics)).toEqual(['a-0', 'a-1', 'b-0'])
  })

  it('after the session is made, names only the partitions whose position changed', () => {
    const b = new FetchSessionBuilder()
    const first = b.build([part('a', 0, 5), part('a', 1, 7), part('b', 0, 0)])
    b.answered(first, ErrorCode.NONE, 42)
    const second = b.build([part('a', 0, 9), part('a', 1, 7), part('b', 0, 0)])
    expect(second).toMatchObject({ sessionId: 42, sessionEpoch: 1, full: false })
    expect(names(second.topics)).toEqual(['a-0'])
    expect(second.forgottenTopics).toEqual([])
    b.answered(second, ErrorCode.NONE, 42)
    const third = b.build([part('a', 0, 9), part('a', 1, 7), part('b', 0, 0)])
    expect(third.sessionEpoch).toBe(2)
    expect(third.topics).toEqual([]) // nothing moved: an empty incremental fetch still waits for data
  })

  it('a partition no longer wanted is forgotten; one wanted again is named in full', () => {
    const b = new FetchSessionBuilder()
    const first = b.build([part('a', 0, 5), part('a', 1, 7)])
    b.answered(first, ErrorCode.NONE, 42)
    const second = b.build([part('a', 0, 5)])
    expect(second.forgottenTopics).toEqual([{ topic: 'a', partitions: [1] }])
    expect(second.topics).toEqual([])
    b.answered(second, ErrorCode.NONE, 42)
    const third = b.build([part('a', 0, 5), part('a', 1, 7)])
    expect(names(third.topics)).toEqual(['a-1'])
    expect(third.forgottenTopics).toEqual([])
  })

  it('a changed leader epoch, last fetched epoch or byte limit is a change too', () => {
    const b = new FetchSessionBuilder()
    const first = b.build([part('a', 0, 5), part('a', 1, 5), part('a', 2, 5)])
    b.answered(first, ErrorCode.NONE, 42)
    const next = b.build([
      { ...part('a', 0, 5), currentLeaderEpoch: 4 },
      { ...part('a', 1, 5), lastFetchedEpoch: 2 },
      { ...part('a', 2, 5), partitionMaxBytes: 2048 },
    ])
    expect(names(next.topics)).toEqual(['a-0', 'a-1', 'a-2'])
  })

  it.each([ErrorCode.FETCH_SESSION_ID_NOT_FOUND, ErrorCode.INVALID_FETCH_SESSION_EPOCH])('error %i sends the next request full', (code) => {
    const b = new FetchSessionBuilder()
    b.answered(b.build([part('a', 0, 5)]), ErrorCode.NONE, 42)
    const incremental = b.build([part('a', 0, 6)])
    expect(incremental.full).toBe(false)
    b.answered(incremental, code, undefined)
    const again = b.build([part('a', 0, 6)])
    expect(again.full).toBe(true)
    expect(again.sessionEpoch).toBe(FETCH_SESSION_INITIAL_EPOCH)
    // an unknown session is not closed by id; a wrong epoch closes the old one while making the new
    expect(again.sessionId).toBe(code === ErrorCode.FETCH_SESSION_ID_NOT_FOUND ? 0 : 42)
    expect(names(again.topics)).toEqual(['a-0'])
  })

  it('a request without an answer makes the next one full, closing the old session', () => {
    const b = new FetchSessionBuilder()
    b.answered(b.build([part('a', 0, 5)]), ErrorCode.NONE, 42)
    b.build([part('a', 0, 6)])
    b.failed()
    const again = b.build([part('a', 0, 6)])
    expect(again).toMatchObject({ full: true, sessionId: 42, sessionEpoch: FETCH_SESSION_INITIAL_EPOCH })
  })

  it('a broker that keeps no session (sessionId 0) gets full fetches', () => {
    const b = new FetchSessionBuilder()
    b.answered(b.build([part('a', 0, 5)]), ErrorCode.NONE, 0)
    expect(b.build([part('a', 0, 5)]).full).toBe(true)
    b.answered(b.build([part('a', 0, 5)]), ErrorCode.NONE, undefined)
    expect(b.build([part('a', 0, 5)]).full).toBe(true)
  })

  it('disabled: every request is a full fetch without a session (epoch -1)', () => {
    const b = new FetchSessionBuilder(false)
    const req = b.build([part('a', 0, 5)])
    b.answered(req, ErrorCode.NONE, 42)
    expect(b.build([part('a', 0, 6)])).toMatchObject({ full: true, sessionId: 0, sessionEpoch: FETCH_SESSION_FINAL_EPOCH })
  })

  it('epochs wrap from int32 max back to 1, never to 0 or -1 (those mean full fetches)', () => {
    expect(nextFetchSessionEpoch(1)).toBe(2)
    expect(nextFetchSessionEpoch(0x7fffffff)).toBe(1)
  })
})
