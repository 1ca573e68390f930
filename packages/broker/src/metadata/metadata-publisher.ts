/**
 * The node's MetadataView: owns the published MetadataImage. Each committed
 * entry builds the next image and its delta (metadata-delta.ts); the publisher
 * swaps the new image in whole and then hands every listener (image, delta), so
 * no reader ever sees part of an entry. A listener that throws is logged and
 * skipped: one module's bug must not stop metadata for the rest.
 *
 * With `freeze` (on wherever invariants are strict: tests and e2e brokers) every
 * published image is deep-frozen, so code that tries to change one throws there.
 */
import type { MetadataDelta, MetadataImage, MetadataListener, MetadataView } from './image-types.js'
import { applyRecords } from './metadata-delta.js'
import { diffImages, emptyImage } from './metadata-image.js'
import type { MetadataRecord } from './records.js'
import { strictInvariantsFromEnv } from '../invariants.js'

export interface MetadataPublisherOptions {
  onListenerError?: (err: unknown) => void
  /**
   * This process's incarnation id. A restarted broker replays its previous
   * incarnation's registration from its own metadata log; that epoch is not
   * its own, or it would serve as leader on the old state before registering.
   * Omitted (tests): any registration of nodeId counts.
   */
  incarnationId?: string
  /** deep-freeze every published image (default: when invariants are strict) */
  freeze?: boolean
}

export class MetadataPublisher implements MetadataView {
  private current: MetadataImage = emptyImage()
  private readonly listeners = new Set<MetadataListener>()
  private readonly onListenerError: (err: unknown) => void
  private readonly incarnationId: string | undefined
  private readonly freeze: boolean

  constructor(readonly nodeId: number, opts: MetadataPublisherOptions = {}) {
    this.onListenerError = opts.onListenerError ?? (() => {})
    this.incarnationId = opts.incarnationId
    this.freeze = opts.freeze ?? strictInvariantsFromEnv()
  }

  image(): MetadataImage {
    return this.current
  }

  onPublish(listener: MetadataListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  brokerEpoch(): number {
    const b = this.current.brokers.get(this.nodeId)
    if (b === undefined || (this.incarnationId !== undefined && b.incarnationId !== this.incarnationId)) return -1
    return b.brokerEpoch
  }

  /** Apply one committed entry's records at `index`; returns what changed. */
  apply(records: readonly MetadataRecord[], index: number): MetadataDelta {
    const { image, delta } = applyRecords(this.current, records, index)
    this.publish(image, delta)
    return delta
  }

  /** Replace the image (snapshot load); listeners hear the difference. */
  replace(image: MetadataImage): void {
    this.publish(image, diffImages(this.current, image))
  }

  private publish(image: MetadataImage, delta: MetadataDelta): void {
    this.current = this.freeze ? deepFreeze(image) : image
    for (const l of this.listeners) {
      try {
        l(this.current, delta)
      } catch (err) {
        this.onListenerError(err)
      }
    }
  }
}

/**
 * Freeze an image and everything reachable from it. Maps cannot be frozen, so
 * their mutators are replaced by ones that throw. Parts shared with an earlier
 * image are frozen already and skipped.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value
  if (value instanceof Map) {
    for (const [k, v] of value) { deepFreeze(k); deepFreeze(v) }
    const refuse = (): never => { throw new TypeError('a published metadata image is immutable') }
    Object.assign(value, { set: refuse, delete: refuse, clear: refuse })
  } else {
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return Object.freeze(value)
}
