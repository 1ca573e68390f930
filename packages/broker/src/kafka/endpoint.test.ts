import { formatKafkaEndpoint, parseKafkaEndpoint, splitHostPort } from './endpoint.js'

test('Kafka addresses: host:port and [v6]:port; a ws:// URL or port 0 is no broker address', () => {
  expect(parseKafkaEndpoint('127.0.0.1:9192')).toEqual({ host: '127.0.0.1', port: 9192 })
  expect(parseKafkaEndpoint('[::1]:9192')).toEqual({ host: '::1', port: 9192 })
  expect(parseKafkaEndpoint('ws://127.0.0.1:9092')).toBeNull()
  expect(parseKafkaEndpoint('h:0')).toBeNull()
  expect(splitHostPort('h:0')).toEqual({ host: 'h', port: 0 })
  expect(formatKafkaEndpoint('::1', 5)).toBe('[::1]:5')
  expect(formatKafkaEndpoint('h', 5)).toBe('h:5')
})
