/* global process, console */
// Produce a few orders and read them back as a consumer group, with the built SDK.
//   npm run build && npm start            (a local 3-node cluster on ws://127.0.0.1:9092..9094)
//   node examples/produce-consume.mjs     (TRIBUTARY_BOOTSTRAP=ws://host:port,... to point elsewhere)
import { Tributary, text } from '@tributary/client'

const brokers = (process.env.TRIBUTARY_BOOTSTRAP ?? 'ws://127.0.0.1:9092').split(',')
const topic = process.env.TOPIC ?? `orders-example-${Date.now()}`
const count = 10

const t = new Tributary({ brokers, clientId: 'example' })
try {
  const admin = t.admin()
  const { brokers: nodes } = await admin.describeCluster()
  await admin.createTopic({ topic, partitions: 6, replicationFactor: Math.min(3, nodes.length), config: { 'retention.ms': '86400000' } })

  // Idempotent by default: retries never duplicate, and one key's messages stay in order.
  const producer = t.producer({ acks: 'all', lingerMs: 5 })
  const sent = await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, i) => ({ key: `customer-${i % 3}`, value: JSON.stringify({ order: i }), headers: { source: 'example' } })),
  })
  for (const m of sent) console.log(`produced to ${m.topic}-${m.partition} at offset ${m.offset}`)
  await producer.close()

  const consumer = t.consumer({ groupId: 'example-billing', fromBeginning: true })
  await consumer.subscribe({ topics: [topic] })
  let seen = 0
  for await (const m of consumer) {
    console.log(`consumed ${text(m.key)} -> ${text(m.value)} (partition ${m.partition}, offset ${m.offset}, source ${text(m.headers.source)})`)
    if (++seen === count) break
  }
  await consumer.disconnect() // commits what was consumed and leaves the group

  const group = await admin.describeGroup('example-billing')
  console.log(`group ${group.groupId}: lag ${group.offsets.reduce((n, o) => n + o.lag, 0)}`)
  await admin.deleteTopic(topic)
} finally {
  await t.close()
}
