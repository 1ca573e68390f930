import { MetadataPublisher } from './metadata-publisher.js'
import type { MetadataRecord } from './records.js'

const register = (incarnationId: string): MetadataRecord[] => [{ type: 'RegisterBroker', version: 0, nodeId: 1, endpoint: 'ws://a:1', incarnationId, rack: null }]
const unfence = (brokerEpoch: number): MetadataRecord[] => [{ type: 'UnfenceBroker', version: 0, nodeId: 1, brokerEpoch }]

test('a restarted broker does not take its previous incarnation\'s registration, replayed from its log, for its own', () => {
  const restarted = new MetadataPublisher(1, undefined, 'new')
  restarted.apply(register('old'), 1)
  restarted.apply(unfence(1), 2)
  // the old registration is live and unfenced in the image, but it is not this process's
  expect(restarted.image().brokers.get(1)).toMatchObject({ brokerEpoch: 1, fenced: false })
  expect(restarted.brokerEpoch()).toBe(-1)
  restarted.apply(register('new'), 3)
  expect(restarted.brokerEpoch()).toBe(3)
})

test('without an incarnation id any registration of the node counts (test harnesses)', () => {
  const m = new MetadataPublisher(1)
  m.apply(register('any'), 4)
  expect(m.brokerEpoch()).toBe(4)
})
