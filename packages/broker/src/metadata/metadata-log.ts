/**
 * The metadata log as `metadata log` lists it: one row per record, tagged with
 * its entry's Raft index and term. The live MetadataLog API and the CLI's
 * offline reader (a stopped node's LevelDB) both list entries through here, so
 * the two can never disagree about what an entry holds.
 */
import { errorName, type MetadataLogEntry } from '@tributary/protocol'
import { decodeVoters, type Entry } from '@tributary/raft'
import { decodeRecords } from './records.js'
import { redactRecord } from './scram-image.js'

/** The row for an entry with no records: the no-op a new Raft leader appends to commit its term. */
export const LEADER_CHANGE = 'LeaderChange'
/** The row for a Raft configuration entry: the metadata quorum's voter set from then on (KRaft's VotersRecord). */
export const VOTERS = 'Voters'
/** The row for an entry whose records do not decode (a newer broker wrote it, or the disk is damaged). */
export const UNREADABLE = 'Unreadable'

/** The rows of one entry, in record order. */
export function entryLogRecords(e: Entry): MetadataLogEntry[] {
  if (e.type === 'noop' || e.data.byteLength === 0) return [{ index: e.index, term: e.term, type: LEADER_CHANGE, record: { term: e.term } }]
  if (e.type === 'config') {
    const voters = decodeVoters(e.data)
    if (voters) return [{ index: e.index, term: e.term, type: VOTERS, record: { voters } }]
    return [{ index: e.index, term: e.term, type: UNREADABLE, record: { error: 'config entry holds no voter set', code: 'CORRUPT_MESSAGE' } }]
  }
  const records = decodeRecords(e.data)
  if (!records.ok) return [{ index: e.index, term: e.term, type: UNREADABLE, record: { error: records.message, code: errorName(records.code) } }]
  // Credential records are redacted here, on the node: live and offline listings both come through this function.
  return records.value.map((r) => ({ index: e.index, term: e.term, type: r.type, record: redactRecord(r) }))
}

/**
 * Rows of whole entries from the start of `entries`: at least `maxRecords` rows
 * unless the entries run out first. An entry is never split, so the last one may
 * carry the page past `maxRecords`; the next page starts at the entry after it.
 */
export function metadataLogPage(entries: Iterable<Entry>, maxRecords: number): MetadataLogEntry[] {
  const out: MetadataLogEntry[] = []
  for (const e of entries) {
    if (out.length >= maxRecords) break
    for (const row of entryLogRecords(e)) out.push(row) // not push(...rows): a 10,000-partition entry is 10,000 rows
  }
  return out
}
