/**
 * The transport seam: a duplex of binary frames. The same RPC layer runs on
 * Node's `ws`, a browser's native WebSocket, or an in-memory pair in tests.
 */
export interface Transport {
  /** Queue one frame. Never throws: a send on a closed transport is dropped (onClose has fired or will). */
  send(frame: Uint8Array): void
  close(code?: number, reason?: string): void
  /** Bytes queued but not yet written by the socket, for backpressure. */
  bufferedAmount(): number
  /** Set by the owner before the first frame can arrive. */
  onFrame: (frame: Uint8Array) => void
  /** Fires once, when the transport is closed for any reason. */
  onClose: (code: number, reason: string) => void
}

/** Opens a transport to a URL such as ws://127.0.0.1:9092; rejects when it cannot connect. */
export type Connector = (url: string, opts?: { connectTimeoutMs?: number }) => Promise<Transport>

/** Two transports joined back to back, for tests: what one sends the other receives (asynchronously). */
export function memoryTransportPair(): [Transport, Transport] {
  let closed = false
  const make = (): Transport & { peer?: Transport } => ({
    send(frame) {
      if (closed) return
      const copy = frame.slice()
      queueMicrotask(() => { if (!closed) this.peer!.onFrame(copy) })
    },
    close(code = 1000, reason = '') {
      if (closed) return
      closed = true
      queueMicrotask(() => { a.onClose(code, reason); b.onClose(code, reason) })
    },
    bufferedAmount: () => 0,
    onFrame: () => {},
    onClose: () => {},
  })
  const a = make()
  const b = make()
  a.peer = b
  b.peer = a
  return [a, b]
}
