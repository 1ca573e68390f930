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
    /**
     * This process's incarnation id. A restarted broker replays its previous
     * incarnation's registration from its own metadata log; that epoch is not
     * its own, or it would serve as leader on the old state before registering.
     * Omitted (tests): any registration of nodeId counts.
     */
    private readonly incarnationId?: string,
  ) {}

  image(): MetadataImage {
    return this.current
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  brokerEpoch(): number {
    const b = this.current.brokers.get(this.nodeId)
    if (b === undefined || (this.incarnationId !== undefined && b.incarnationId !== this.incarnationId)) return -1
    return b.brokerEpoch
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
