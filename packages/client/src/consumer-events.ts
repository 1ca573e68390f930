/**
 * The consumer's events and their payloads, and the small typed emitter that
 * delivers them: `consumer.on('commit', ({ offsets }) => ...)` is checked by the
 * compiler (event name and payload), not handed an `any`.
 */
import type { TributaryError } from '@tributary/protocol'
import type { TopicPartition } from './group-member.js'
import type { TopicPartitionOffset } from './offset-tracker.js'

/** Every event a consumer emits, by name, with its payload. */
export interface ConsumerEvents {
  /** The consumer stopped on an error it cannot get past (a handler that kept failing, a fatal group error); it disconnects. */
  crash: { error: TributaryError }
  /** Partitions given to this consumer (their committed offsets are known by now). */
  assigned: { partitions: TopicPartition[] }
  /** Partitions taken away in an orderly rebalance (after their last commit). */
  revoked: { partitions: TopicPartition[] }
  /** Partitions dropped without committing (fenced, or the session ran out): another member may own them now. */
  lost: { partitions: TopicPartition[] }
  /** Offsets the coordinator accepted (the next offset to read, per partition). */
  commit: { offsets: TopicPartitionOffset[] }
}

export type ConsumerEvent = keyof ConsumerEvents
export type ConsumerListener<E extends ConsumerEvent> = (payload: ConsumerEvents[E]) => void

export class ConsumerEmitter {
  /** Each set holds only listeners of the event it is filed under (on() is the one writer). */
  private readonly listeners = new Map<ConsumerEvent, Set<ConsumerListener<never>>>()

  /** Add a listener; returns the function that removes it. */
  on<E extends ConsumerEvent>(event: E, listener: ConsumerListener<E>): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    const listeners = set
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
    }
  }

  emit<E extends ConsumerEvent>(event: E, payload: ConsumerEvents[E]): void {
    for (const filed of this.listeners.get(event) ?? []) {
      const listener = filed as ConsumerListener<E>
      try {
        listener(payload)
      } catch {
        // a listener's bug must not break the consumer
      }
    }
  }
}
