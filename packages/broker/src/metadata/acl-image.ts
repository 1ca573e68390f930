/**
 * ACLs in the metadata image: KRaft's AccessControlEntryRecord /
 * RemoveAccessControlEntryRecord applied in log order, kept by record id, and
 * carried in snapshots. The authorizer reads them from here on every node.
 */
import type { AclBinding } from '@tributary/protocol'
import type { AccessControlEntryRecord, RemoveAccessControlEntryRecord } from './records.js'

/** id → binding while an entry is applied (metadata-delta.ts copies the image's map first); bindings are replaced, never mutated. */
export type AclMap = Map<string, AclBinding>

export interface AclSnapshotEntry extends AclBinding { id: string }

/** Applies one ACL record; returns whether the ACLs changed. */
export function applyAclRecord(acls: AclMap, r: AccessControlEntryRecord | RemoveAccessControlEntryRecord): boolean {
  if (r.type === 'RemoveAccessControlEntry') return acls.delete(r.id)
  if (acls.has(r.id)) return false
  acls.set(r.id, aclOf(r))
  return true
}

export function aclOf(b: AclBinding): AclBinding {
  return {
    resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.resourcePatternType,
    principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType,
  }
}

/** The same binding, field for field (CreateAcls of an existing binding is a no-op, as in Kafka). */
export function sameAcl(a: AclBinding, b: AclBinding): boolean {
  return a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.resourcePatternType === b.resourcePatternType &&
    a.principal === b.principal && a.host === b.host && a.operation === b.operation && a.permissionType === b.permissionType
}

export function aclsToSnapshot(acls: ReadonlyMap<string, AclBinding>): AclSnapshotEntry[] {
  return [...acls].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, b]) => ({ id, ...b }))
}

export function aclsFromSnapshot(entries: AclSnapshotEntry[] | undefined): AclMap {
  const acls: AclMap = new Map()
  for (const e of entries ?? []) acls.set(e.id, aclOf(e))
  return acls
}

export function sameAclMaps(a: ReadonlyMap<string, AclBinding>, b: ReadonlyMap<string, AclBinding>): boolean {
  if (a.size !== b.size) return false
  for (const [id, x] of a) {
    const y = b.get(id)
    if (!y || !sameAcl(x, y)) return false
  }
  return true
}
