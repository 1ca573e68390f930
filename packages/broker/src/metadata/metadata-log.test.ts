import { encodeVoters, type Entry } from '@tributary/raft'
import { entryLogRecords, metadataLogPage } from './metadata-log.js'
import { encodeRecords, type MetadataRecord } from './records.js'

const topic = (i: number): MetadataRecord => ({ type: 'Topic', version: 0, name: `t${i}`, topicId: `id${i}`, internal: false })
const entry = (index: number, records: MetadataRecord[]): Entry => ({ index, term: 1, type: 'normal', data: encodeRecords(records) })

describe('metadata log rows', () => {
  it('one row per record, a LeaderChange row for a no-op, an Unreadable row for bytes that do not decode', () => {
    expect(entryLogRecords(entry(4, [topic(1), topic(2)])).map((r) => [r.index, r.type])).toEqual([[4, 'Topic'], [4, 'Topic']])
    expect(entryLogRecords({ index: 5, term: 3, type: 'noop', data: new Uint8Array(0) })).toEqual([{ index: 5, term: 3, type: 'LeaderChange', record: { term: 3 } }])
    const bad = entryLogRecords({ index: 6, term: 3, type: 'normal', data: Uint8Array.from([0xc1]) })
    expect(bad).toEqual([{ index: 6, term: 3, type: 'Unreadable', record: expect.objectContaining({ error: expect.any(String) }) }])
  })

  it('a Voters row for a Raft configuration entry', () => {
    expect(entryLogRecords({ index: 7, term: 4, type: 'config', data: encodeVoters([1, 3, 4]) })).toEqual([{ index: 7, term: 4, type: 'Voters', record: { voters: [1, 3, 4] } }])
    expect(entryLogRecords({ index: 8, term: 4, type: 'config', data: Uint8Array.from([9]) })[0]!.type).toBe('Unreadable')
  })

  it('a page holds whole entries and at least maxRecords rows unless the entries run out', () => {
    const entries = Array.from({ length: 10 }, (_, i) => entry(i + 1, [topic(3 * i), topic(3 * i + 1), topic(3 * i + 2)]))
    const page = metadataLogPage(entries, 10)
    expect(page).toHaveLength(12) // four entries of three: the fourth carries the page past 10
    expect(page.at(-1)!.index).toBe(4)
    expect(metadataLogPage(entries.slice(0, 2), 10)).toHaveLength(6)
  })
})
