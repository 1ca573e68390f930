/**
 * Applying committed metadata records to the MetadataImage, deterministically:
 * every node applies the same entries in the same order and must end with the
 * same image. Records that no longer make sense (a change for a removed topic)
 * are skipped the same way everywhere, never thrown.
 *
 * Objects inside the image are replaced, not mutated, so a `previous` handed to
 * a listener stays what it was.
 */
import { packValue, unpackValue, ok, fail, ErrorCode, type Result } from '@tributary/protocol'
import type { BrokerRegistration, MetadataChange, MetadataImage, PartitionState, TopicState } from './image-types.js'
import type { MetadataRecord } from './records.js'
import { applyUserRecord, sameUsers, usersForInspection, usersFromSnapshot, usersToSnapshot, type UserSnapshot, type UserView } from './scram-image.js'
import { aclsFromSnapshot, aclsToSnapshot, applyAclRecord, sameAclMaps, type AclSnapshotEntry } from './acl-image.js'

export const FIRST_PRODUCER_ID = 1000

export function emptyImage(): MetadataImage {
  return {
    clusterId: null,
    offset: 0,
    brokers: new Map(),
    topicsByName: new Map(),
    topicsById: new Map(),
    nextProducerId: FIRST_PRODUCER_ID,
    users: new Map(),
    acls: new Map(),
  }
}

/** Apply one entry's records (committed at `index`); returns what changed, in order. */
export function applyRecords(image: MetadataImage, records: MetadataRecord[], index: number): MetadataChange[] {
  const changes: MetadataChange[] = []
  const copied = new Set<string>()
  for (const r of records) applyRecord(image, r, index, changes, copied)
  image.offset = Math.max(image.offset, index)
  return changes
}

/** The reassignment fields a partition keeps: only while one is in progress, so images without one look as they always did. */
function reassigning(adding: number[] | undefined, removing: number[] | undefined): { addingReplicas?: number[]; removingReplicas?: number[] } {
  const out: { addingReplicas?: number[]; removingReplicas?: number[] } = {}
  if (adding && adding.length > 0) out.addingReplicas = [...adding]
  if (removing && removing.length > 0) out.removingReplicas = [...removing]
  return out
}

function setBroker(image: MetadataImage, b: BrokerRegistration, changes: MetadataChange[]): void {
  image.brokers.set(b.nodeId, b)
  changes.push({ type: 'broker', broker: b })
}

function currentBroker(image: MetadataImage, nodeId: number, brokerEpoch: number): BrokerRegistration | undefined {
  const b = image.brokers.get(nodeId)
  return b && b.brokerEpoch === brokerEpoch ? b : undefined
}

function replaceTopic(image: MetadataImage, t: TopicState): void {
  image.topicsByName.set(t.name, t)
  image.topicsById.set(t.topicId, t)
}

/**
 * The topic as an object this entry may change in place: copied once per entry
 * (copy-on-write), so an entry touching all 10,000 partitions of a topic costs
 * one array copy, not 10,000, and objects from earlier entries stay untouched.
 */
function writableTopic(image: MetadataImage, topicId: string, copied: Set<string>): TopicState | undefined {
  const t = image.topicsById.get(topicId)
  if (!t || copied.has(topicId)) return t
  const copy = { ...t, configs: { ...t.configs }, partitions: [...t.partitions] }
  replaceTopic(image, copy)
  copied.add(topicId)
  return copy
}

function applyRecord(image: MetadataImage, r: MetadataRecord, index: number, changes: MetadataChange[], copied: Set<string>): void {
  switch (r.type) {
    case 'ClusterId':
      if (image.clusterId === null) image.clusterId = r.clusterId
      return
    case 'RegisterBroker':
      setBroker(image, {
        nodeId: r.nodeId,
        endpoint: r.endpoint,
        ...(r.endpoints && Object.keys(r.endpoints).length > 0 ? { endpoints: { ...r.endpoints } } : {}),
        incarnationId: r.incarnationId,
        brokerEpoch: index,
        rack: r.rack ?? null,
        fenced: true,
        inControlledShutdown: false,
      }, changes)
      return
    case 'FenceBroker':
    case 'UnfenceBroker': {
      const b = currentBroker(image, r.nodeId, r.brokerEpoch)
      if (!b) return
      const fenced = r.type === 'FenceBroker'
      setBroker(image, { ...b, fenced, inControlledShutdown: fenced ? b.inControlledShutdown : false }, changes)
      return
    }
    case 'BrokerControlledShutdown': {
      const b = currentBroker(image, r.nodeId, r.brokerEpoch)
      if (b) setBroker(image, { ...b, inControlledShutdown: true }, changes)
      return
    }
    case 'UnregisterBroker':
      if (!currentBroker(image, r.nodeId, r.brokerEpoch)) return
      image.brokers.delete(r.nodeId)
      changes.push({ type: 'broker-removed', nodeId: r.nodeId })
      return
    case 'Topic': {
      if (image.topicsByName.has(r.name) || image.topicsById.has(r.topicId)) return
      replaceTopic(image, { name: r.name, topicId: r.topicId, internal: r.internal, configs: {}, partitions: [] })
      copied.add(r.topicId) // created by this entry: nobody holds it yet
      return
    }
    case 'Partition': {
      const current = image.topicsById.get(r.topicId)
      if (!current || r.partition !== current.partitions.length) return // partitions arrive densely, in order
      const t = writableTopic(image, r.topicId, copied)!
      const p: PartitionState = {
        topicId: t.topicId, topic: t.name, partition: r.partition,
        replicas: [...r.replicas], isr: [...r.isr], leader: r.leader, leaderEpoch: r.leaderEpoch, partitionEpoch: r.partitionEpoch,
        ...reassigning(r.addingReplicas, r.removingReplicas),
      }
      t.partitions.push(p)
      changes.push({ type: 'partition', partition: p, previous: null })
      return
    }
    case 'PartitionChange': {
      const prev = image.topicsById.get(r.topicId)?.partitions[r.partition]
      if (!prev) return
      const t = writableTopic(image, r.topicId, copied)!
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
      changes.push({ type: 'partition', partition: p, previous: prev })
      return
    }
    case 'RemoveTopic': {
      const t = image.topicsById.get(r.topicId)
      if (!t) return
      image.topicsById.delete(t.topicId)
      image.topicsByName.delete(t.name)
      changes.push({ type: 'topic-removed', topic: t })
      return
    }
    case 'Config': {
      if (r.resourceType !== 'topic') return // broker-level dynamic configs: reserved
      const named = image.topicsByName.get(r.name)
      if (!named) return
      const t = writableTopic(image, named.topicId, copied)!
      if (r.value === null) delete t.configs[r.key]
      else t.configs[r.key] = r.value
      changes.push({ type: 'topic-config', topic: t })
      return
    }
    case 'ProducerIds':
      image.nextProducerId = Math.max(image.nextProducerId, r.nextProducerId)
      return
    case 'UserScramCredential':
    case 'RemoveUserScramCredential':
      if (applyUserRecord(image.users, r)) changes.push({ type: 'user', name: r.name })
      return
    case 'AccessControlEntry':
    case 'RemoveAccessControlEntry':
      if (applyAclRecord(image.acls, r)) changes.push({ type: 'acls' })
      return
  }
}

// ------------------------------------------------------------------ snapshots

interface ImageSnapshotV0 {
  version: 0
  clusterId: string | null
  offset: number
  brokers: BrokerRegistration[]
  topics: TopicState[]
  nextProducerId: number
  /** SCRAM credentials (absent in snapshots written before users existed) */
  users?: UserSnapshot[]
  /** ACL bindings (absent in snapshots written before ACLs existed) */
  acls?: AclSnapshotEntry[]
}

/** The image as plain data, credentials included: for snapshots only (see imageForInspection). */
export function imageToPlain(image: MetadataImage): ImageSnapshotV0 {
  return {
    version: 0,
    clusterId: image.clusterId,
    offset: image.offset,
    brokers: [...image.brokers.values()].sort((a, b) => a.nodeId - b.nodeId),
    topics: [...image.topicsByName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    nextProducerId: image.nextProducerId,
    users: usersToSnapshot(image.users),
    acls: aclsToSnapshot(image.acls),
  }
}

/**
 * The image as the MetadataImage API and `metadata image` show it: users by
 * name with their mechanisms and iteration counts; no salt, stored key or
 * server key ever leaves the node.
 */
export function imageForInspection(image: MetadataImage): Omit<ImageSnapshotV0, 'users'> & { users: UserView[] } {
  return { ...imageToPlain(image), users: usersForInspection(image.users) }
}

export function encodeImage(image: MetadataImage): Uint8Array {
  return packValue(imageToPlain(image))
}

export function decodeImage(bytes: Uint8Array): Result<MetadataImage> {
  if (bytes.byteLength === 0) return ok(emptyImage())
  const v = unpackValue(bytes)
  if (!v.ok) return v
  const s = v.value as ImageSnapshotV0
  if (!s || typeof s !== 'object' || s.version !== 0 || !Array.isArray(s.brokers) || !Array.isArray(s.topics)) {
    return fail(ErrorCode.CORRUPT_MESSAGE, 'not a metadata image snapshot (v0)')
  }
  const image = emptyImage()
  image.clusterId = s.clusterId ?? null
  image.offset = s.offset
  image.nextProducerId = s.nextProducerId
  for (const b of s.brokers) image.brokers.set(b.nodeId, { ...b, rack: b.rack ?? null })
  for (const t of s.topics) replaceTopic(image, { ...t, configs: { ...t.configs }, partitions: t.partitions.map((p) => ({ ...p })) })
  image.users = usersFromSnapshot(s.users)
  image.acls = aclsFromSnapshot(s.acls)
  return ok(image)
}

/** What a listener must hear when the whole image is replaced by a snapshot. */
export function diffImages(before: MetadataImage, after: MetadataImage): MetadataChange[] {
  const changes: MetadataChange[] = []
  for (const id of before.brokers.keys()) if (!after.brokers.has(id)) changes.push({ type: 'broker-removed', nodeId: id })
  for (const b of after.brokers.values()) {
    const old = before.brokers.get(b.nodeId)
    if (!old || JSON.stringify(old) !== JSON.stringify(b)) changes.push({ type: 'broker', broker: b })
  }
  for (const t of before.topicsById.values()) if (!after.topicsById.has(t.topicId)) changes.push({ type: 'topic-removed', topic: t })
  for (const t of after.topicsById.values()) {
    const old = before.topicsById.get(t.topicId)
    if (old && JSON.stringify(old.configs) !== JSON.stringify(t.configs)) changes.push({ type: 'topic-config', topic: t })
    for (const p of t.partitions) {
      const prev = old?.partitions[p.partition] ?? null
      if (!prev || prev.partitionEpoch !== p.partitionEpoch || prev.leaderEpoch !== p.leaderEpoch) changes.push({ type: 'partition', partition: p, previous: prev })
    }
  }
  for (const name of new Set([...before.users.keys(), ...after.users.keys()])) {
    if (!sameUsers(before.users.get(name), after.users.get(name))) changes.push({ type: 'user', name })
  }
  if (!sameAclMaps(before.acls, after.acls)) changes.push({ type: 'acls' })
  return changes
}
