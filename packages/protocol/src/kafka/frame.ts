/**
 * Kafka's framing: every request and response is an int32 size then that many
 * bytes. `FrameSplitter` cuts a TCP byte stream into frames, checking the size
 * against a limit BEFORE it buffers the frame, so a 2 GiB size prefix costs
 * nothing. Headers: request v1 (non-flexible APIs) or v2 (flexible), response v0
 * or v1; ApiVersions always answers with v0 (a client reads it before it knows
 * what we speak).
 */
import { concatBytes } from '../bytes.js'
import { fail, ok, ErrorCode, type Result } from '../errors.js'
import { isFlexible, readMessage, writeMessage, type KafkaObject } from './codec.js'
import { KAFKA_APIS, KafkaApiKey, RequestHeader, ResponseHeader } from './messages.js'
import { inRange } from './schema.js'
import { KafkaReader, KafkaWireError, KafkaWriter } from './wire.js'

/** Default largest Kafka frame accepted (Kafka's socket.request.max.bytes is 100 MiB; ours matches the WebSocket listener). */
export const kafkaFrameBytesMax = 16 * 1024 * 1024
/** apiKey + apiVersion + correlationId: no request is shorter. */
const REQUEST_HEADER_FIXED_BYTES = 8
const SIZE_PREFIX_BYTES = 4

/** Splits a byte stream into frames; `push` returns the whole frames so far or an error (the connection is then unusable). */
export class FrameSplitter {
  private chunks: Uint8Array[] = []
  private buffered = 0

  constructor(private readonly frameBytesMax = kafkaFrameBytesMax) {}

  push(chunk: Uint8Array): Result<Uint8Array[]> {
    this.chunks.push(chunk)
    this.buffered += chunk.byteLength
    const frames: Uint8Array[] = []
    for (;;) {
      if (this.buffered < SIZE_PREFIX_BYTES) return ok(frames)
      const size = this.peekSize()
      if (size < REQUEST_HEADER_FIXED_BYTES) return fail(ErrorCode.INVALID_REQUEST, `frame size ${size} is below the ${REQUEST_HEADER_FIXED_BYTES}-byte request header`)
      if (size > this.frameBytesMax) return fail(ErrorCode.MESSAGE_TOO_LARGE, `frame size ${size} exceeds the limit of ${this.frameBytesMax} bytes`)
      if (this.buffered < SIZE_PREFIX_BYTES + size) return ok(frames)
      frames.push(this.take(SIZE_PREFIX_BYTES + size).subarray(SIZE_PREFIX_BYTES))
    }
  }

  /** Bytes held waiting for the rest of a frame. */
  bufferedBytes(): number {
    return this.buffered
  }

  private peekSize(): number {
    const head = this.chunks[0]!.byteLength >= SIZE_PREFIX_BYTES ? this.chunks[0]! : this.take(SIZE_PREFIX_BYTES, false)
    return new DataView(head.buffer, head.byteOffset, SIZE_PREFIX_BYTES).getInt32(0)
  }

  /** The first n buffered bytes; consumed unless `consume` is false (then they are merged into one chunk). */
  private take(n: number, consume = true): Uint8Array {
    let out: Uint8Array
    const first = this.chunks[0]!
    if (first.byteLength >= n) {
      out = first.subarray(0, n)
    } else {
      out = new Uint8Array(n)
      let o = 0
      let i = 0
      while (o < n) {
        const c = this.chunks[i++]!
        const part = c.subarray(0, Math.min(c.byteLength, n - o))
        out.set(part, o)
        o += part.byteLength
      }
      if (!consume) {
        this.dropFront(n)
        this.chunks.unshift(out)
        return out
      }
    }
    if (consume) {
      this.dropFront(n)
      this.buffered -= n
    }
    return out
  }

  private dropFront(n: number): void {
    while (n > 0) {
      const c = this.chunks[0]!
      if (c.byteLength <= n) {
        this.chunks.shift()
        n -= c.byteLength
      } else {
        this.chunks[0] = c.subarray(n)
        n = 0
      }
    }
  }
}

export interface KafkaRequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
}

export type DecodedKafkaRequest =
  | { ok: true; header: KafkaRequestHeader; body: KafkaObject }
  /** correlationId is known whenever the frame has its 8 fixed header bytes (the splitter guarantees it) */
  | { ok: false; header: KafkaRequestHeader | null; correlationId: number; code: number; message: string }

/** Decode one request frame (without its size prefix): header, then the body from the schema table. */
export function decodeKafkaRequest(frame: Uint8Array): DecodedKafkaRequest {
  const fixed = new DataView(frame.buffer, frame.byteOffset, Math.min(frame.byteLength, REQUEST_HEADER_FIXED_BYTES))
  const correlationId = frame.byteLength >= REQUEST_HEADER_FIXED_BYTES ? fixed.getInt32(4) : -1
  const apiKey = frame.byteLength >= 2 ? fixed.getInt16(0) : -1
  const apiVersion = frame.byteLength >= 4 ? fixed.getInt16(2) : -1
  const api = KAFKA_APIS.get(apiKey)
  const r = new KafkaReader(frame)
  let header: KafkaRequestHeader | null = null
  try {
    if (frame.byteLength < REQUEST_HEADER_FIXED_BYTES) throw new KafkaWireError(`a request needs ${REQUEST_HEADER_FIXED_BYTES} header bytes, got ${frame.byteLength}`)
    // An API or version we do not serve is answered from the fixed 8 bytes alone: its header version is unknown to us.
    if (!api) return { ok: false, header: { apiKey, apiVersion, correlationId, clientId: null }, correlationId, code: ErrorCode.UNSUPPORTED_VERSION, message: `API key ${apiKey} is not supported` }
    if (!inRange(api.request.versions, apiVersion)) {
      return { ok: false, header: { apiKey, apiVersion, correlationId, clientId: null }, correlationId, code: ErrorCode.UNSUPPORTED_VERSION, message: `${api.name} v${apiVersion} is not supported` }
    }
    const h = readMessage(RequestHeader, isFlexible(api.request, apiVersion) ? 2 : 1, r)
    header = { apiKey, apiVersion, correlationId, clientId: h.clientId as string | null }
    const body = readMessage(api.request, apiVersion, r)
    if (r.remaining() !== 0) throw new KafkaWireError(`${r.remaining()} bytes left over`)
    return { ok: true, header, body }
  } catch (err) {
    if (!(err instanceof KafkaWireError)) throw err
    return { ok: false, header, correlationId, code: ErrorCode.INVALID_REQUEST, message: `${api?.name ?? `API ${apiKey}`} v${apiVersion}: ${err.message}` }
  }
}

/**
 * A whole response frame (size prefix, header, body) for a request of
 * apiKey/apiVersion, as pieces to write in order: long byte strings of the body
 * (record batches) are pieces of their own, not copies (KafkaWriter.raw). Throws
 * KafkaWireError on a body the version cannot carry.
 */
export function encodeKafkaResponsePieces(apiKey: number, apiVersion: number, correlationId: number, body: KafkaObject): Uint8Array[] {
  const api = KAFKA_APIS.get(apiKey)
  if (!api) throw new KafkaWireError(`API key ${apiKey} has no schema`)
  const w = new KafkaWriter()
  w.int32(0) // the size, patched below
  const headerVersion = apiKey !== KafkaApiKey.ApiVersions && isFlexible(api.response, apiVersion) ? 1 : 0
  writeMessage(ResponseHeader, headerVersion, { correlationId }, w)
  writeMessage(api.response, apiVersion, body, w)
  const pieces = w.pieces()
  // The first piece is the writer's own buffer, holding the size prefix and the header.
  const first = pieces[0]!
  new DataView(first.buffer, first.byteOffset, first.byteLength).setInt32(0, w.written - SIZE_PREFIX_BYTES)
  return pieces
}

/** The same frame as one array. */
export function encodeKafkaResponse(apiKey: number, apiVersion: number, correlationId: number, body: KafkaObject): Uint8Array {
  const pieces = encodeKafkaResponsePieces(apiKey, apiVersion, correlationId, body)
  // one piece is a view of the writer's (larger) buffer: copied, so the frame holds only its own bytes
  return pieces.length === 1 ? pieces[0]!.slice() : concatBytes(pieces)
}

/**
 * The answer to a request we cannot decode the body of or do not speak: the
 * correlation id and an int16 error code, the common head of Kafka's error
 * responses. A client that sent an API or version we never advertised gets this
 * rather than a closed socket.
 */
export function encodeKafkaErrorResponse(correlationId: number, errorCode: number): Uint8Array {
  const w = new KafkaWriter()
  w.int32(SIZE_PREFIX_BYTES + 2)
  w.int32(correlationId)
  w.int16(errorCode)
  return w.bytes()
}
