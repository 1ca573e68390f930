/**
 * A Kafka connection's responses, in request order: each request takes a slot when
 * it arrives, and a slot's bytes leave once every earlier slot's have (Kafka
 * clients match responses by order as well as correlation id). While `inFlightMax`
 * slots wait, the socket stops reading, rather than failing requests: Kafka clients
 * have no "too many in flight" error.
 */
import type net from 'node:net'

/** A response frame: one array, or pieces to write in order (a Fetch response's record batches by reference). */
export type ResponseFrame = Uint8Array | Uint8Array[]

export class OrderedResponses {
  private readonly slots: Array<{ bytes: ResponseFrame | null; done: boolean }> = []
  private paused = false

  constructor(
    private readonly socket: net.Socket,
    private readonly inFlightMax: number,
    /** Counts the bytes written. */
    private readonly onWrite: (bytes: number) => void,
  ) {}

  /** A slot for the next request; call the answer with its response (null: none, e.g. acks=0). */
  take(): (bytes: ResponseFrame | null) => void {
    const slot = { bytes: null as ResponseFrame | null, done: false }
    this.slots.push(slot)
    return (bytes) => {
      slot.bytes = bytes
      slot.done = true
      this.flush()
    }
  }

  /** After a chunk's requests took their slots: stop reading while too many wait. */
  pauseIfFull(): void {
    if (this.slots.length >= this.inFlightMax && !this.paused) {
      this.paused = true
      this.socket.pause()
    }
  }

  private flush(): void {
    // corked: a frame's pieces (and the frames ready together) leave in one writev
    this.socket.cork()
    while (this.slots.length && this.slots[0]!.done) {
      const s = this.slots.shift()!
      if (s.bytes && !this.socket.destroyed) this.write(s.bytes)
    }
    this.socket.uncork()
    if (this.paused && this.slots.length < this.inFlightMax) {
      this.paused = false
      this.socket.resume()
    }
  }

  private write(frame: ResponseFrame): void {
    const pieces = frame instanceof Uint8Array ? [frame] : frame
    let bytes = 0
    for (const piece of pieces) {
      this.socket.write(piece)
      bytes += piece.byteLength
    }
    this.onWrite(bytes)
  }
}
