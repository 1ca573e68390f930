/**
 * The fake cluster's group coordinator: a small KIP-848 model. Members join
 * with epoch 0, get a round-robin share of the subscribed partitions, and are
 * given a partition only once no other member still owns it.
 */
import { ApiKey, ErrorCode } from '@tributary/protocol'
import type { FakeCluster } from './fake-cluster.js'
import { fakeUrl } from './fake-cluster.js'

interface Member { memberId: string; clientId: string; epoch: number; lastSent: string | null; names: string[] | null; regex: string | null; owned: Set<string>; lastSeen: number; sessionTimeoutMs: number }
interface Group { groupId: string; epoch: number; members: Map<string, Member>; offsets: Map<string, number> }

const key = (t: string, p: number): string => `${t}:${p}`
const split = (k: string): [string, number] => {
  const i = k.lastIndexOf(':')
  return [k.slice(0, i), Number(k.slice(i + 1))]
}
const toTopics = (keys: Iterable<string>): Array<{ topic: string; partitions: number[] }> => {
  const by = new Map<string, number[]>()
  for (const k of keys) {
    const [t, p] = split(k)
    by.set(t, [...(by.get(t) ?? []), p].sort((a, b) => a - b))
  }
  return [...by].map(([topic, partitions]) => ({ topic, partitions }))
}

export class FakeGroups {
  readonly groups = new Map<string, Group>()
  coordinatorId = 1
  heartbeatIntervalMs = 50
  private nextMember = 1

  constructor(private readonly cluster: FakeCluster) {}

  group(groupId: string): Group {
    let g = this.groups.get(groupId)
    if (!g) this.groups.set(groupId, (g = { groupId, epoch: 0, members: new Map(), offsets: new Map() }))
    return g
  }

  handle(nodeId: number, apiKey: number, body: any): [number, unknown] {
    if (apiKey === ApiKey.FindCoordinator) {
      const alive = this.cluster.nodes.get(this.coordinatorId)?.alive
      return alive ? [0, { nodeId: this.coordinatorId, endpoint: fakeUrl(this.coordinatorId) }] : [ErrorCode.COORDINATOR_NOT_AVAILABLE, {}]
    }
    if (apiKey === ApiKey.ListGroups) return [0, { groups: nodeId === this.coordinatorId ? [...this.groups.values()].map((g) => ({ groupId: g.groupId, state: g.members.size ? 'stable' : 'empty', protocolType: 'consumer' })) : [] }]
    if (nodeId !== this.coordinatorId) return [ErrorCode.NOT_COORDINATOR, { errorMessage: 'not the coordinator' }]
    switch (apiKey) {
      case ApiKey.ConsumerGroupHeartbeat:
        return this.heartbeat(body)
      case ApiKey.OffsetCommit:
        return this.commit(body)
      case ApiKey.OffsetFetch: {
        const g = this.group(body.groupId)
        const wanted: Array<{ topic: string; partitions: number[] }> = body.topics ?? toTopics(g.offsets.keys())
        return [0, { topics: wanted.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p, offset: g.offsets.get(key(t.topic, p)) ?? -1, metadata: null, errorCode: 0 })) })) }]
      }
      case ApiKey.DescribeGroups:
        return [0, { groups: body.groupIds.map((id: string) => {
          const g = this.groups.get(id)
          if (!g) return { groupId: id, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, state: 'dead', groupEpoch: -1, assignmentEpoch: -1, members: [] }
          return { groupId: id, errorCode: 0, state: g.members.size ? 'stable' : 'empty', groupEpoch: g.epoch, assignmentEpoch: g.epoch, members: [...g.members.values()].map((m) => ({ memberId: m.memberId, clientId: m.clientId, memberEpoch: m.epoch, subscribedTopicNames: m.names ?? [], subscribedTopicRegex: m.regex, assignment: toTopics(m.owned), targetAssignment: toTopics(this.target(g).get(m.memberId) ?? []) })) }
        }) }]
      case ApiKey.DeleteGroups:
        return [0, { results: body.groupIds.map((id: string) => {
          const g = this.groups.get(id)
          if (!g) return { groupId: id, errorCode: ErrorCode.GROUP_ID_NOT_FOUND }
          if (g.members.size > 0) return { groupId: id, errorCode: ErrorCode.NON_EMPTY_GROUP }
          this.groups.delete(id)
          return { groupId: id, errorCode: 0 }
        }) }]
      default:
        return [ErrorCode.UNSUPPORTED_VERSION, { errorMessage: `fake does not serve api ${apiKey}` }]
    }
  }

  /**
   * Partitions each member should own: round robin over the members in the order they
   * joined, per subscribed topic. (Members pick random ids, KIP-1082: an order by id
   * would hand the first member's partitions to whichever id sorts first.)
   */
  target(g: Group): Map<string, Set<string>> {
    const members = [...g.members.values()]
    const out = new Map(members.map((m) => [m.memberId, new Set<string>()]))
    for (const [name, t] of [...this.cluster.topics].sort(([a], [b]) => a.localeCompare(b))) {
      const subs = members.filter((m) => m.names?.includes(name) || (m.regex !== null && new RegExp(`^(?:${m.regex})$`).test(name)))
      if (subs.length === 0) continue
      t.partitions.forEach((_, p) => out.get(subs[p % subs.length].memberId)!.add(key(name, p)))
    }
    return out
  }

  private expire(g: Group): void {
    const now = Date.now()
    for (const m of [...g.members.values()]) {
      if (now - m.lastSeen > m.sessionTimeoutMs) {
        g.members.delete(m.memberId)
        g.epoch++
      }
    }
  }

  private heartbeat(b: any): [number, unknown] {
    const g = this.group(b.groupId)
    this.expire(g)
    if (b.memberEpoch === -1) {
      if (g.members.delete(b.memberId)) g.epoch++
      return [0, { memberId: b.memberId, memberEpoch: -1, heartbeatIntervalMs: this.heartbeatIntervalMs, assignment: null }]
    }
    let m: Member | undefined
    if (b.memberEpoch === 0) {
      m = { memberId: b.memberId || `member-${this.nextMember++}`, clientId: b.clientId ?? '', epoch: 0, lastSent: null, names: null, regex: null, owned: new Set(), lastSeen: Date.now(), sessionTimeoutMs: b.sessionTimeoutMs ?? 45_000 }
      g.members.set(m.memberId, m)
      g.epoch++
    } else {
      m = g.members.get(b.memberId)
      if (!m) return [ErrorCode.UNKNOWN_MEMBER_ID, { errorMessage: `unknown member ${b.memberId}` }]
      if (b.memberEpoch > g.epoch) return [ErrorCode.FENCED_MEMBER_EPOCH, {}]
    }
    m.lastSeen = Date.now()
    const names = b.subscribedTopicNames ?? null
    const regex = b.subscribedTopicRegex ?? null
    if ((names !== null || regex !== null) && (JSON.stringify(names) !== JSON.stringify(m.names) || regex !== m.regex)) {
      m.names = names
      m.regex = regex
      g.epoch++
    }
    if (b.ownedPartitions) m.owned = new Set(b.ownedPartitions.flatMap((t: any) => t.partitions.map((p: number) => key(t.topic, p))))
    const mine = this.target(g).get(m.memberId) ?? new Set()
    const ownedByOthers = new Set([...g.members.values()].filter((x) => x !== m).flatMap((x) => [...x.owned]))
    const given = [...mine].filter((k) => !ownedByOthers.has(k))
    m.epoch = g.epoch
    // As the real coordinator: resend only when it changed or the member's report differs.
    const sig = JSON.stringify([...given].sort())
    const resend = m.lastSent !== sig || (b.ownedPartitions != null && JSON.stringify([...m.owned].sort()) !== sig)
    m.lastSent = sig
    return [0, { memberId: m.memberId, memberEpoch: m.epoch, heartbeatIntervalMs: this.heartbeatIntervalMs, assignment: resend ? { topics: toTopics(given) } : null }]
  }

  /** As the broker: a request-level refusal is the envelope code, repeated on every partition, and changes nothing. */
  private commit(b: any): [number, unknown] {
    const g = this.group(b.groupId)
    let code = 0
    if (b.memberId === '' && b.memberEpoch === -1) {
      if (g.members.size > 0) code = ErrorCode.NON_EMPTY_GROUP
    } else {
      const m = g.members.get(b.memberId)
      if (!m) code = ErrorCode.UNKNOWN_MEMBER_ID
      else if (b.memberEpoch > m.epoch) code = ErrorCode.FENCED_MEMBER_EPOCH
      else if (b.memberEpoch < m.epoch) code = ErrorCode.STALE_MEMBER_EPOCH
    }
    if (code === 0) for (const t of b.topics) for (const p of t.partitions) g.offsets.set(key(t.topic, p.partition), p.offset)
    const topics = b.topics.map((t: any) => ({ topic: t.topic, partitions: t.partitions.map((p: any) => ({ partition: p.partition, errorCode: code })) }))
    return [code, code === 0 ? { topics } : { errorMessage: `commit refused: ${code}`, topics }]
  }
}
