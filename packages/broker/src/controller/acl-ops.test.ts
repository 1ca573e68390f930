import { anyAclFilter, ErrorCode, type AclBinding } from '@tributary/protocol'
import { decodeImage, diffImages, emptyImage, encodeImage } from '../metadata/metadata-image.js'
import { applyRecords } from '../metadata/metadata-delta.js'
import type { MetadataImage } from '../metadata/image-types.js'
import { describeAcls, planCreateAcls as planCreate, planDeleteAcls as planDelete } from './acl-ops.js'
import { parseCreateAcls, parseDeleteAcls } from './requests.js'

/** The controller's path: parse the body (an error for a bad shape), then plan. */
function planCreateAcls(image: MetadataImage, body: unknown, newId: () => string) {
  const req = parseCreateAcls(body)
  return req.ok ? planCreate(image, req.value, newId) : { error: req.message }
}
function planDeleteAcls(image: MetadataImage, body: unknown) {
  const req = parseDeleteAcls(body)
  return req.ok ? planDelete(image, req.value) : { error: req.message }
}

const binding = (over: Partial<AclBinding> = {}): AclBinding => ({
  resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3, ...over,
} as AclBinding)

function ids() {
  let n = 0
  return () => `acl-${++n}`
}

describe('ACLs as metadata records', () => {
  test('CreateAcls commits one record per new binding; an existing one is a no-op; a bad one fails alone', () => {
    let image = emptyImage()
    const newId = ids()
    const first = planCreateAcls(image, { creations: [binding(), binding({ operation: 8 })] }, newId)
    if ('error' in first) throw new Error(first.error)
    expect(first.records).toHaveLength(2)
    const applied = applyRecords(image, first.records, 1)
    image = applied.image
    expect(applied.delta.changes).toEqual([{ type: 'acls' }, { type: 'acls' }])
    const again = planCreateAcls(image, { creations: [binding(), binding({ resourcePatternType: 4, resourceName: '*' }), binding(), binding({ principal: 'alice' })] }, newId)
    if ('error' in again) throw new Error(again.error)
    expect(again.records).toHaveLength(0)
    expect(again.response.results.map((r) => r.errorCode)).toEqual([0, ErrorCode.INVALID_REQUEST, 0, ErrorCode.INVALID_REQUEST])
    expect(planCreateAcls(image, { creations: 'x' }, newId)).toHaveProperty('error')
  })

  test('DeleteAcls removes what each filter matches (MATCH finds the literal, the wildcard and prefixes)', () => {
    let image = emptyImage()
    const plan = planCreateAcls(image, { creations: [binding(), binding({ resourceName: '*' }), binding({ resourceName: 'ord', resourcePatternType: 4 }), binding({ resourceName: 'audit' })] }, ids())
    if ('error' in plan) throw new Error(plan.error)
    image = applyRecords(image, plan.records, 1).image
    const match = { ...anyAclFilter(), resourceType: 2, resourceName: 'orders', resourcePatternType: 2 } as const
    expect(describeAcls(image, match).resources.map((r) => r.resourceName)).toEqual(['*', 'ord', 'orders'])
    const del = planDeleteAcls(image, { filters: [match, match] })
    if ('error' in del) throw new Error(del.error)
    expect(del.records).toHaveLength(3)
    image = applyRecords(image, del.records, 2).image
    expect(describeAcls(image, anyAclFilter()).resources.map((r) => r.resourceName)).toEqual(['audit'])
  })

  test('ACLs survive a snapshot, and installing one tells listeners the ACLs changed', () => {
    let image = emptyImage()
    const plan = planCreateAcls(image, { creations: [binding(), binding({ host: '10.0.0.5', permissionType: 2 })] }, ids())
    if ('error' in plan) throw new Error(plan.error)
    image = applyRecords(image, plan.records, 1).image
    const restored = decodeImage(encodeImage(image))
    if (!restored.ok) throw new Error(restored.message)
    expect([...restored.value.acls]).toEqual([...image.acls])
    expect(diffImages(emptyImage(), restored.value).changes).toContainEqual({ type: 'acls' })
    expect(diffImages(image, restored.value).changes).not.toContainEqual({ type: 'acls' })
  })
})
