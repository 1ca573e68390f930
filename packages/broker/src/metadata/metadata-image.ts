/**
 * The MetadataImage as a value: the empty one, its snapshot form (encode,
 * decode, the inspection view without secrets), and the delta between two
 * images for a snapshot install. Applying an entry to an image is
 * metadata-delta.ts; images are never changed once built.
 */
import { packValue, unpackValue, ok, fail, ErrorCode, type Result } from '@tributary/protocol'
import type { BrokerRegistration, MetadataChange, MetadataDelta, MetadataImage, TopicState } from './image-types.js'
import { sameUsers, usersForInspection, usersFromSnapshot, usersToSnapshot, type UserSnapshot, type UserView } from './scram-image.js'
import { aclsFromSnapshot, aclsToSnapshot, sameAclMaps, type AclSnapshotEntry } from './acl-image.js'

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
    brokerConfigs: new Map(),
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
  /** dynamic broker configs by resource (absent in snapshots written before they existed, or when none is set) */
  brokerConfigs?: BrokerConfigSnapshot[]
}

interface BrokerConfigSnapshot { name: string; configs: Record<string, string> }

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
    ...(image.brokerConfigs.size > 0 ? { brokerConfigs: brokerConfigsToSnapshot(image.brokerConfigs) } : {}),
  }
}

function brokerConfigsToSnapshot(configs: MetadataImage['brokerConfigs']): BrokerConfigSnapshot[] {
  return [...configs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, c]) => ({ name, configs: { ...c } }))
}

function brokerConfigsFromSnapshot(s: BrokerConfigSnapshot[] | undefined): MetadataImage['brokerConfigs'] {
  return new Map((Array.isArray(s) ? s : []).map((r) => [String(r.name), { ...r.configs }]))
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
  const topics = s.topics.map((t): TopicState => ({ ...t, configs: { ...t.configs }, partitions: t.partitions.map((p) => ({ ...p })) }))
  return ok({
    clusterId: s.clusterId ?? null,
    offset: s.offset,
    brokers: new Map(s.brokers.map((b) => [b.nodeId, { ...b, rack: b.rack ?? null }])),
    topicsByName: new Map(topics.map((t) => [t.name, t])),
    topicsById: new Map(topics.map((t) => [t.topicId, t])),
    nextProducerId: s.nextProducerId,
    users: usersFromSnapshot(s.users),
    acls: aclsFromSnapshot(s.acls),
    brokerConfigs: brokerConfigsFromSnapshot(s.brokerConfigs),
  })
}

/** What a listener must hear when the whole image is replaced by a snapshot: the delta from `before` to `after`, field by field. */
export function diffImages(before: MetadataImage, after: MetadataImage): MetadataDelta {
  const changes: MetadataChange[] = []
  for (const id of before.brokers.keys()) if (!after.brokers.has(id)) changes.push({ type: 'broker-removed', nodeId: id })
  for (const b of after.brokers.values()) {
    const old = before.brokers.get(b.nodeId)
    if (!old || !sameBroker(old, b)) changes.push({ type: 'broker', broker: b })
  }
  for (const t of before.topicsById.values()) if (!after.topicsById.has(t.topicId)) changes.push({ type: 'topic-removed', topic: t })
  for (const t of after.topicsById.values()) {
    const old = before.topicsById.get(t.topicId)
    if (old && !sameStrings(old.configs, t.configs)) changes.push({ type: 'topic-config', topic: t })
    for (const p of t.partitions) {
      const prev = old?.partitions[p.partition] ?? null
      if (!prev || prev.partitionEpoch !== p.partitionEpoch || prev.leaderEpoch !== p.leaderEpoch) changes.push({ type: 'partition', partition: p, previous: prev })
    }
  }
  for (const name of new Set([...before.users.keys(), ...after.users.keys()])) {
    if (!sameUsers(before.users.get(name), after.users.get(name))) changes.push({ type: 'user', name })
  }
  if (!sameAclMaps(before.acls, after.acls)) changes.push({ type: 'acls' })
  for (const name of new Set([...before.brokerConfigs.keys(), ...after.brokerConfigs.keys()])) {
    if (!sameStrings(before.brokerConfigs.get(name), after.brokerConfigs.get(name))) changes.push({ type: 'broker-config', name })
  }
  return { changes }
}

function sameStrings(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const ka = Object.keys(a ?? {})
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => b?.[k] === a?.[k])
}

function sameBroker(a: BrokerRegistration, b: BrokerRegistration): boolean {
  return a.nodeId === b.nodeId && a.endpoint === b.endpoint && a.incarnationId === b.incarnationId && a.brokerEpoch === b.brokerEpoch &&
    a.rack === b.rack && a.fenced === b.fenced && a.inControlledShutdown === b.inControlledShutdown && sameStrings(a.endpoints, b.endpoints)
}
