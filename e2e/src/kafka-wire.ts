/**
 * A minimal raw Kafka-protocol client for tests: it builds request frames from
 * the same schema table the broker decodes with (headers included) and reads
 * size-prefixed response frames off a TCP socket, so a test can send exactly the
 * bytes it means (acks=0, unknown versions, garbage) and see exactly what comes back.
 */
import net from 'node:net'
import { decodeKafkaMessage, KAFKA_APIS, KafkaWriter, RequestHeader, ResponseHeader, isFlexible, writeMessage, readMessage, KafkaReader, type KafkaObject } from '@tributary/protocol'

export interface RawResponse { correlationId: number; bytes: Uint8Array }

export class RawKafka {
  private buffered = Buffer.alloc(0)
  private readonly waiting: Array<(r: RawResponse) => void> = []
  private readonly ready: RawResponse[] = []
  closed = false

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk])
      while (this.buffered.byteLength >= 4 && this.buffered.byteLength >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0)
        const frame = new Uint8Array(this.buffered.subarray(4, 4 + size))
        this.buffered = this.buffered.subarray(4 + size)
        const r = { correlationId: Buffer.from(frame).readInt32BE(0), bytes: frame }
        const w = this.waiting.shift()
        if (w) w(r)
        else this.ready.push(r)
      }
    })
    socket.on('close', () => (this.closed = true))
    socket.on('error', () => {})
  }

  static connect(host: string, port: number): Promise<RawKafka> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new RawKafka(s)))
      s.once('error', reject)
    })
  }

  /** Write raw bytes (a whole frame or any part of one). */
  write(bytes: Uint8Array): void {
    this.socket.write(bytes)
  }

  /** A request frame for apiKey/version with the body encoded from the schema table. */
  static frame(apiKey: number, version: number, correlationId: number, body: KafkaObject): Uint8Array {
    const spec = KAFKA_APIS.get(apiKey)!.request
    const w = new KafkaWriter()
    w.int32(0)
    writeMessage(RequestHeader, isFlexible(spec, version) ? 2 : 1, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'raw-test' }, w)
    writeMessage(spec, version, body, w)
    const out = w.bytes().slice()
    new DataView(out.buffer).setInt32(0, out.byteLength - 4)
    return out
  }

  send(apiKey: number, version: number, correlationId: number, body: KafkaObject): void {
    this.write(RawKafka.frame(apiKey, version, correlationId, body))
  }

  /** The next response frame in arrival order. */
  next(timeoutMs = 10_000): Promise<RawResponse> {
    const r = this.ready.shift()
    if (r) return Promise.resolve(r)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response within ${timeoutMs} ms`)), timeoutMs)
      this.waiting.push((x) => {
        clearTimeout(timer)
        resolve(x)
      })
    })
  }

  /** The next response frame, or null once the connection is closed or nothing came within timeoutMs. */
  nextOrNull(timeoutMs: number): Promise<RawResponse | null> {
    const r = this.ready.shift()
    if (r) return Promise.resolve(r)
    if (this.closed) return Promise.resolve(null)
    return new Promise((resolve) => {
      const done = (x: RawResponse | null): void => {
        clearTimeout(timer)
        this.socket.off('close', gone)
        resolve(x)
      }
      const waiter = (x: RawResponse): void => done(x)
      const gone = (): void => {
        const i = this.waiting.indexOf(waiter)
        if (i >= 0) this.waiting.splice(i, 1)
        done(null)
      }
      const timer = setTimeout(gone, timeoutMs)
      this.waiting.push(waiter)
      this.socket.once('close', gone)
    })
  }

  /** Decode a response body of apiKey/version (after its header, v0 or v1 by the table). */
  static decode(apiKey: number, version: number, r: RawResponse): KafkaObject {
    const spec = KAFKA_APIS.get(apiKey)!.response
    const reader = new KafkaReader(r.bytes)
    readMessage(ResponseHeader, apiKey !== 18 && isFlexible(spec, version) ? 1 : 0, reader)
    const d = decodeKafkaMessage(spec, version, r.bytes, reader.pos)
    if (!d.ok) throw new Error(d.message)
    return d.value
  }

  /** Resolves when the broker has closed the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connection still open')), timeoutMs)
      this.socket.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  close(): void {
    this.socket.destroy()
  }
}
