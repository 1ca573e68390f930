import { ApiKey, decodeRequest, encodeResponse, ErrorCode, memoryTransportPair, RpcConnection, type Transport } from './index.js'

/** A tiny server on the far end of a memory pair that answers with `reply`. */
function serve(t: Transport, reply: (apiKey: number, body: any, correlationId: number) => Uint8Array | undefined) {
  t.onFrame = (frame) => {
    const r = decodeRequest(frame)
    if (!r.ok) return
    const out = reply(r.value.apiKey, r.value.body, r.value.correlationId)
    if (out) t.send(out)
  }
}

describe('RpcConnection', () => {
  test('pipelined requests are matched to responses by correlation id, out of order', async () => {
    const [c, s] = memoryTransportPair()
    const held: Array<[number, any]> = []
    serve(s, (_k, body, id) => {
      held.push([id, body])
      if (held.length === 3) for (const [hid, hb] of held.reverse()) s.send(encodeResponse(hid, 0, { echo: hb.n }))
      return undefined
    })
    const rpc = new RpcConnection(c)
    const rs = await Promise.all([1, 2, 3].map((n) => rpc.request(ApiKey.Metadata, { n })))
    expect(rs.map((r) => r.body.echo)).toEqual([1, 2, 3])
  })

  test('an error code is a value, not a rejection', async () => {
    const [c, s] = memoryTransportPair()
    serve(s, (_k, _b, id) => encodeResponse(id, ErrorCode.NOT_CONTROLLER, { errorMessage: 'go away' }))
    const r = await new RpcConnection(c).request(ApiKey.CreateTopics, { topics: [], timeoutMs: 1 })
    expect(r.errorCode).toBe(ErrorCode.NOT_CONTROLLER)
  })

  test('a request without an answer times out with REQUEST_TIMED_OUT', async () => {
    const [c, s] = memoryTransportPair()
    serve(s, () => undefined)
    await expect(new RpcConnection(c).request(ApiKey.Metadata, {}, { timeoutMs: 20 })).rejects.toMatchObject({ code: ErrorCode.REQUEST_TIMED_OUT })
  })

  test('closing fails every pending request with NETWORK_EXCEPTION', async () => {
    const [c, s] = memoryTransportPair()
    serve(s, () => undefined)
    const rpc = new RpcConnection(c)
    const p = rpc.request(ApiKey.Metadata, {})
    s.close()
    await expect(p).rejects.toMatchObject({ code: ErrorCode.NETWORK_EXCEPTION })
    await expect(rpc.request(ApiKey.Metadata, {})).rejects.toMatchObject({ code: ErrorCode.NETWORK_EXCEPTION })
  })

  test('in-flight requests are bounded: the next waits until one completes', async () => {
    const [c, s] = memoryTransportPair()
    const seen: number[] = []
    serve(s, (_k, _b, id) => { seen.push(id); return undefined })
    const rpc = new RpcConnection(c, { inFlightMax: 2 })
    const ps = [rpc.request(ApiKey.Metadata, {}), rpc.request(ApiKey.Metadata, {}), rpc.request(ApiKey.Metadata, {})]
    await new Promise((r) => setImmediate(r))
    expect(rpc.inFlight()).toBe(2)
    expect(seen.length).toBe(2)
    s.send(encodeResponse(seen[0], 0, {}))
    await ps[0]
    await new Promise((r) => setImmediate(r))
    expect(seen.length).toBe(3)
    s.send(encodeResponse(seen[1], 0, {}))
    s.send(encodeResponse(seen[2], 0, {}))
    await Promise.all(ps)
  })

  test('unsupported api versions are refused before sending', async () => {
    const [c] = memoryTransportPair()
    await expect(new RpcConnection(c).request(ApiKey.Metadata, {}, { apiVersion: 99 })).rejects.toMatchObject({ code: ErrorCode.UNSUPPORTED_VERSION })
  })
})
