/**
 * The node's MetadataView: owns the applied MetadataImage, applies committed
 * entries in log order and tells listeners what changed. A listener that throws
 * is logged and skipped: one module's bug must not stop metadata for the rest.
 */
import type { MetadataChange, MetadataImage, MetadataView } from './image-types.js'
import { applyRecords, diffImages, emptyImage } from './metadata-image.js'
import type { MetadataRecord } from './records.js'

type Listener = (change: MetadataChange, image: MetadataImage) => void

export class MetadataPublisher implements MetadataView {
  private current: MetadataImage = emptyImage()
  private readonly listeners = new Set<Listener>()

  constructor(
    readonly nodeId: number,
    private readonly onListenerError: (err: unknown) => void = () => {},
  ) {}

  image(): MetadataImage {
    return this.current
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  brokerEpoch(): number {
    return this.current.brokers.get(this.nodeId)?.brokerEpoch ?? -1
  }

  /** Apply one committed entry's records at `index`. */
  apply(records: MetadataRecord[], index: number): MetadataChange[] {
    const changes = applyRecords(this.current, records, index)
    this.publish(changes)
    return changes
  }

  /** Replace the image (snapshot load); listeners hear the difference. */
  replace(image: MetadataImage): void {
    const changes = diffImages(this.current, image)
    this.current = image
    this.publish(changes)
  }

  private publish(changes: MetadataChange[]): void {
    for (const change of changes) {
      for (const l of this.listeners) {
        try {
          l(change, this.current)
        } catch (err) {
          this.onListenerError(err)
        }
      }
    }
  }
}
