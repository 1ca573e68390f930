import { decodeImage, emptyImage, encodeImage } from '../metadata/metadata-image.js'
import { applyRecords } from '../metadata/metadata-delta.js'
import { metadataResponse } from '../metadata/metadata-handlers.js'
import { endpointFor } from './listeners.js'

/** Two brokers: 1 has an external listener, 2 (not yet reconfigured) has only its primary one. */
function image() {
  return applyRecords(emptyImage(), [
    { type: 'RegisterBroker', version: 0, nodeId: 1, endpoint: 'ws://node1:9092', endpoints: { external: 'ws://localhost:9092' }, incarnationId: 'i1', rack: null },
    { type: 'RegisterBroker', version: 0, nodeId: 2, endpoint: 'ws://node2:9093', incarnationId: 'i2', rack: null },
  ], 1).image
}

describe('a client is told the addresses of the listener it connected to', () => {
  test('the primary listener lists primary endpoints; a named one lists its own', () => {
    const img = image()
    expect(metadataResponse(img, 1, null, true).brokers.map((b) => b.endpoint)).toEqual(['ws://node1:9092', 'ws://node2:9093'])
    expect(metadataResponse(img, 1, null, true, 'external').brokers.map((b) => b.endpoint)).toEqual(['ws://localhost:9092', 'ws://node2:9093'])
  })

  test('a broker without the listener answers with its primary address', () => {
    const b = image().brokers.get(2)!
    expect(endpointFor(b, 'external')).toBe('ws://node2:9093')
    expect(endpointFor(image().brokers.get(1)!, 'nope')).toBe('ws://node1:9092')
    expect(endpointFor(image().brokers.get(1)!, null)).toBe('ws://node1:9092')
  })

  test('a snapshot keeps the named listeners of each broker', () => {
    const d = decodeImage(encodeImage(image()))
    expect(d.ok && d.value.brokers.get(1)!.endpoints).toEqual({ external: 'ws://localhost:9092' })
    expect(d.ok && d.value.brokers.get(2)!.endpoints).toBeUndefined()
  })
})
