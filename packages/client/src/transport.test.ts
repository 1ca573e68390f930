import { afterEach, describe, expect, test } from '@jest/globals'
import { API_VERSIONS, ApiKey, ErrorCode, decodeRequest, encodeResponse } from '@tributary/protocol'
import { WebSocketServer, type WebSocket } from 'ws'
import type { AddressInfo } from 'node:net'
import { Tributary } from './tributary.js'
import { nodeConnector } from './transport-node.js'
import { defaultConnector } from './transport.js'

/** A one-node "broker" on 127.0.0.1:0 that speaks the envelope: ApiVersions and Metadata. */
async function miniBroker(onText?: (ws: WebSocket) => void): Promise<{ url: string; server: WebSocketServer; frames: number[] }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((r) => server.once('listening', r))
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
  const frames: number[] = []
  server.on('connection', (ws) => {
    if (onText) return onText(ws)
    ws.on('message', (data: Buffer) => {
      const r = decodeRequest(new Uint8Array(data))
      if (!r.ok) return
      frames.push(r.value.apiKey)
      const body =
        r.value.apiKey === ApiKey.ApiVersions
          ? { apiKeys: Object.entries(API_VERSIONS).map(([k, [a, b]]) => ({ apiKey: Number(k), minVersion: a, maxVersion: b })), nodeId: 1, clusterId: 'mini' }
          : { clusterId: 'mini', controllerId: 1, brokers: [{ nodeId: 1, endpoint: url, fenced: false }], topics: [{ name: 't', topicId: 'x', errorCode: 0, internal: false, partitions: [] }], metadataOffset: 1 }
      ws.send(encodeResponse(r.value.correlationId, 0, body))
    })
  })
  return { url, server, frames }
}

const servers: WebSocketServer[] = []
const clients: Tributary[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate()
    await new Promise((r) => s.close(r))
  }
})

describe('WebSocket transport', () => {
  test('in Node the default connector is the ws one (globalThis.WebSocket is not used)', async () => {
    expect(await defaultConnector()).toBe(nodeConnector)
  })

  test('a real ws round trip: ApiVersions first, then the request', async () => {
    const b = await miniBroker()
    servers.push(b.server)
    const client = new Tributary({ brokers: [b.url] })
    clients.push(client)
    expect(await client.admin().listTopics()).toEqual(['t'])
    expect(b.frames).toEqual([ApiKey.ApiVersions, ApiKey.Metadata])
  })

  test('a refused connection names the URL and the cause', async () => {
    const b = await miniBroker()
    const url = b.url
    await new Promise((r) => b.server.close(r))
    const err = await nodeConnector(url, { connectTimeoutMs: 2_000 }).catch((e) => e)
    expect(err).toMatchObject({ code: ErrorCode.NETWORK_EXCEPTION })
    expect(err.message).toMatch(new RegExp(`cannot connect to ${url}: ECONNREFUSED`))
  })

  test('a text frame from the server closes the transport (1003)', async () => {
    const b = await miniBroker((ws) => ws.on('message', () => ws.send('hello')))
    servers.push(b.server)
    const t = await nodeConnector(b.url)
    const closed = new Promise<[number, string]>((resolve) => (t.onClose = (code, reason) => resolve([code, reason])))
    t.send(new Uint8Array([1]))
    expect((await closed)[0]).toBe(1003)
  })
})
