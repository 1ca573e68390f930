/**
 * Topic ids → names for Fetch v13+ (KIP-516), where Kafka clients name topics
 * by the ids Metadata v10+ gave them. Resolved through Metadata on the
 * request's own connection (so a topic the principal may not describe stays
 * unknown to it) with a cache of id → name; a cached name is confirmed to
 * still carry that id, because a topic deleted and created again under the
 * same name has a new id and the old id must answer UNKNOWN_TOPIC_ID.
 */
import { ApiKey, ErrorCode, type MetadataResponse } from '@tributary/protocol'
import type { Invoke } from './translation.js'

/** Ids remembered; past this the cache starts over (ids of deleted topics would otherwise pile up). */
const CACHED_IDS_MAX = 10_000

export class TopicIds {
  private readonly names = new Map<string, string>()

  /** id → name for the ids that name a topic this connection may see; the others are absent. */
  async resolve(ids: readonly string[], invoke: Invoke): Promise<Map<string, string>> {
    const cached = ids.map((id) => this.names.get(id))
    if (cached.every((n) => n !== undefined)) {
      const confirmed = await this.lookup(invoke, [...new Set(cached as string[])])
      if (ids.every((id) => confirmed.get(id) === this.names.get(id))) return confirmed
    }
    const all = await this.lookup(invoke, null)
    if (this.names.size + all.size > CACHED_IDS_MAX) this.names.clear()
    for (const [id, name] of all) this.names.set(id, name)
    return all
  }

  private async lookup(invoke: Invoke, topics: string[] | null): Promise<Map<string, string>> {
    const r = await invoke(ApiKey.Metadata, { topics, includeInternal: true })
    const out = new Map<string, string>()
    if (!r || r.errorCode !== ErrorCode.NONE) return out
    for (const t of (r.body as MetadataResponse).topics) if (t.errorCode === ErrorCode.NONE && t.topicId) out.set(t.topicId, t.name)
    return out
  }
}
