/**
 * Applying one committed entry to an image, as Kafka's MetadataDelta does: the
 * entry's records are applied to a draft of the image, and the result is a new
 * image plus the delta (what changed, in record order). The image passed in is
 * never changed, so a reader holding it across an `await` never sees half an
 * entry; the new image shares every map, topic and partition the entry did not
 * touch (a map is copied once per entry, on its first write; a topic likewise).
 *
 * Deterministic: every node applies the same entries in the same order and ends
 * with the same image. Records that no longer make sense (a change for a removed
 * topic) are skipped the same way everywhere, never thrown.
 */
import type { AclBinding } from '@tributary/protocol'
import type { BrokerRegistration, MetadataChange, MetadataDelta, MetadataImage, PartitionState, ScramCredentialState, TopicState } from './image-types.js'
import type { MetadataRecord } from './records.js'
import { applyUserRecord } from './scram-image.js'
import { applyAclRecord } from './acl-image.js'

/** The next image and what changed from `image` to it. */
export interface AppliedEntry { image: MetadataImage; delta: MetadataDelta }

/** Apply one entry's records (committed at `index`) to `image`, which stays as it was. */
export function applyRecords(image: MetadataImage, records: readonly MetadataRecord[], index: number): AppliedEntry {
  const draft = new ImageDraft(image)
  for (const r of records) applyRecord(draft, r, index)
  draft.offset = Math.max(draft.offset, index)
  return { image: draft.build(), delta: { changes: draft.changes } }
}

/** Apply entries in order from `image` (tests, offline reads): the last image. */
export function applyEntries(image: MetadataImage, entries: ReadonlyArray<{ records: readonly MetadataRecord[]; index: number }>): MetadataImage {
  return entries.reduce((img, e) => applyRecords(img, e.records, e.index).image, image)
}

/**
 * A copy-on-write view of an image for one entry: reads see the entry's writes so
 * far; each map is copied on its first write, each topic once (so an entry that
 * changes all 10,000 partitions of a topic copies one array, not 10,000).
 */
class ImageDraft {
  clusterId: string | null
  offset: number
  nextProducerId: number
  readonly changes: MetadataChange[] = []
  private brokersW: Map<number, BrokerRegistration> | null = null
  private byNameW: Map<string, TopicState> | null = null
  private byIdW: Map<string, TopicState> | null = null
  private usersW: Map<string, ReadonlyMap<string, ScramCredentialState>> | null = null
  private aclsW: Map<string, AclBinding> | null = null
  private brokerConfigsW: Map<string, Readonly<Record<string, string>>> | null = null
  /** topics created or copied by this entry: nobody else holds them yet, so they may change in place */
  private readonly ownTopics = new Set<string>()

  constructor(private readonly base: MetadataImage) {
    this.clusterId = base.clusterId
    this.offset = base.offset
    this.nextProducerId = base.nextProducerId
  }

  get brokers(): ReadonlyMap<number, BrokerRegistration> { return this.brokersW ?? this.base.brokers }
  get topicsByName(): ReadonlyMap<string, TopicState> { return this.byNameW ?? this.base.topicsByName }
  get topicsById(): ReadonlyMap<string, TopicState> { return this.byIdW ?? this.base.topicsById }

  writableBrokers(): Map<number, BrokerRegistration> {
    return (this.brokersW ??= new Map(this.base.brokers))
  }

  writableUsers(): Map<string, ReadonlyMap<string, ScramCredentialState>> {
    return (this.usersW ??= new Map(this.base.users))
  }

  writableAcls(): Map<string, AclBinding> {
    return (this.aclsW ??= new Map(this.base.acls))
  }

  /** Set (value) or remove (null) one dynamic config of broker resource `name`; a resource left with none is dropped. */
  setBrokerConfig(name: string, key: string, value: string | null): void {
    const w = (this.brokerConfigsW ??= new Map(this.base.brokerConfigs))
    const next = { ...w.get(name) }
    if (value === null) delete next[key]
    else next[key] = value
    if (Object.keys(next).length === 0) w.delete(name)
    else w.set(name, next)
  }

  putTopic(t: TopicState, ownedByEntry: boolean): void {
    ;(this.byNameW ??= new Map(this.base.topicsByName)).set(t.name, t)
    ;(this.byIdW ??= new Map(this.base.topicsById)).set(t.topicId, t)
    if (ownedByEntry) this.ownTopics.add(t.topicId)
  }

  removeTopic(t: TopicState): void {
    ;(this.byNameW ??= new Map(this.base.topicsByName)).delete(t.name)
    ;(this.byIdW ??= new Map(this.base.topicsById)).delete(t.topicId)
  }

  /** The topic as an object this entry may change in place (copied on the entry's first change to it). */
  writableTopic(topicId: string): TopicState | undefined {
    const t = this.topicsById.get(topicId)
    if (!t || this.ownTopics.has(topicId)) return t
    const copy = { ...t, configs: { ...t.configs }, partitions: [...t.partitions] }
    this.putTopic(copy, true)
    return copy
  }

  build(): MetadataImage {
    const b = this.base
    return {
      clusterId: this.clusterId,
      offset: this.offset,
      brokers: this.brokersW ?? b.brokers,
      topicsByName: this.byNameW ?? b.topicsByName,
      topicsById: this.byIdW ?? b.topicsById,
      nextProducerId: this.nextProducerId,
      users: this.usersW ?? b.users,
      acls: this.aclsW ?? b.acls,
      brokerConfigs: this.brokerConfigsW ?? b.brokerConfigs,
    }
  }
}

/** The reassignment fields a partition keeps: only while one is in progress, so images without one look as they always did. */
function reassigning(adding: number[] | undefined, removing: number[] | undefined): { addingReplicas?: number[]; removingReplicas?: number[] } {
  const out: { addingReplicas?: number[]; removingReplicas?: number[] } = {}
  if (adding && adding.length > 0) out.addingReplicas = [...adding]
  if (removing && removing.length > 0) out.removingReplicas = [...removing]
  return out
}

function setBroker(d: ImageDraft, b: BrokerRegistration): void {
  d.writableBrokers().set(b.nodeId, b)
  d.changes.push({ type: 'broker', broker: b })
}

function currentBroker(d: ImageDraft, nodeId: number, brokerEpoch: number): BrokerRegistration | undefined {
  const b = d.brokers.get(nodeId)
  return b && b.brokerEpoch === brokerEpoch ? b : undefined
}

function applyRecord(d: ImageDraft, r: MetadataRecord, index: number): void {
  switch (r.type) {
    case 'ClusterId':
      if (d.clusterId === null) d.clusterId = r.clusterId
      return
    case 'RegisterBroker':
      setBroker(d, {
        nodeId: r.nodeId,
        endpoint: r.endpoint,
        ...(r.endpoints && Object.keys(r.endpoints).length > 0 ? { endpoints: { ...r.endpoints } } : {}),
        incarnationId: r.incarnationId,
        brokerEpoch: index,
        rack: r.rack ?? null,
        fenced: true,
        inControlledShutdown: false,
      })
      return
    case 'FenceBroker':
    case 'UnfenceBroker': {
      const b = currentBroker(d, r.nodeId, r.brokerEpoch)
      if (!b) return
      const fenced = r.type === 'FenceBroker'
      setBroker(d, { ...b, fenced, inControlledShutdown: fenced ? b.inControlledShutdown : false })
      return
    }
    case 'BrokerControlledShutdown': {
      const b = currentBroker(d, r.nodeId, r.brokerEpoch)
      if (b) setBroker(d, { ...b, inControlledShutdown: true })
      return
    }
    case 'UnregisterBroker':
      if (!currentBroker(d, r.nodeId, r.brokerEpoch)) return
      d.writableBrokers().delete(r.nodeId)
      d.changes.push({ type: 'broker-removed', nodeId: r.nodeId })
      return
    case 'Topic':
      if (d.topicsByName.has(r.name) || d.topicsById.has(r.topicId)) return
      d.putTopic({ name: r.name, topicId: r.topicId, internal: r.internal, configs: {}, partitions: [] }, true)
      return
    case 'Partition':
    case 'PartitionChange':
      applyPartitionRecord(d, r)
      return
    case 'RemoveTopic': {
      const t = d.topicsById.get(r.topicId)
      if (!t) return
      d.removeTopic(t)
      d.changes.push({ type: 'topic-removed', topic: t })
      return
    }
    case 'Config': {
      if (r.resourceType === 'broker') {
        d.setBrokerConfig(r.name, r.key, r.value)
        d.changes.push({ type: 'broker-config', name: r.name })
        return
      }
      if (r.resourceType !== 'topic') return
      const named = d.topicsByName.get(r.name)
      if (!named) return
      const t = d.writableTopic(named.topicId)!
      if (r.value === null) delete t.configs[r.key]
      else t.configs[r.key] = r.value
      d.changes.push({ type: 'topic-config', topic: t })
      return
    }
    case 'ProducerIds':
      d.nextProducerId = Math.max(d.nextProducerId, r.nextProducerId)
      return
    case 'UserScramCredential':
    case 'RemoveUserScramCredential':
      if (applyUserRecord(d.writableUsers(), r)) d.changes.push({ type: 'user', name: r.name })
      return
    case 'AccessControlEntry':
    case 'RemoveAccessControlEntry':
      if (applyAclRecord(d.writableAcls(), r)) d.changes.push({ type: 'acls' })
      return
  }
}

function applyPartitionRecord(d: ImageDraft, r: Extract<MetadataRecord, { type: 'Partition' | 'PartitionChange' }>): void {
  if (r.type === 'Partition') {
    const current = d.topicsById.get(r.topicId)
    if (!current || r.partition !== current.partitions.length) return // partitions arrive densely, in order
    const t = d.writableTopic(r.topicId)!
    const p: PartitionState = {
      topicId: t.topicId, topic: t.name, partition: r.partition,
      replicas: [...r.replicas], isr: [...r.isr], leader: r.leader, leaderEpoch: r.leaderEpoch, partitionEpoch: r.partitionEpoch,
      ...reassigning(r.addingReplicas, r.removingReplicas),
    }
    t.partitions.push(p)
    d.changes.push({ type: 'partition', partition: p, previous: null })
    return
  }
  const prev = d.topicsById.get(r.topicId)?.partitions[r.partition]
  if (!prev) return
  const t = d.writableTopic(r.topicId)!
  const { addingReplicas: _a, removingReplicas: _r, ...rest } = prev
  const p: PartitionState = {
    ...rest,
    replicas: r.replicas ? [...r.replicas] : prev.replicas,
    isr: r.isr ? [...r.isr] : prev.isr,
    leader: r.leader ?? prev.leader,
    leaderEpoch: r.leaderEpoch,
    partitionEpoch: r.partitionEpoch,
    ...reassigning(r.addingReplicas ?? prev.addingReplicas, r.removingReplicas ?? prev.removingReplicas),
  }
  t.partitions[r.partition] = p
  d.changes.push({ type: 'partition', partition: p, previous: prev })
}
