import { metricsUrl, parseRequestCounters, parseTopicSizes, rates } from './metrics.js'

const SCRAPE = `# HELP tributary_requests_total requests handled
# TYPE tributary_requests_total counter
tributary_requests_total{api="Produce",error="NONE",nodeId="1"} 100
tributary_requests_total{api="Produce",error="NOT_LEADER_OR_FOLLOWER",nodeId="1"} 5
tributary_requests_total{api="Fetch",error="NONE",nodeId="1"} 40
tributary_requests_total{api="Metadata",error="NONE",nodeId="1"} 7
tributary_request_duration_seconds_count{api="Produce"} 999
`

test('produce and fetch counters are summed over their error labels; other series are ignored', () => {
  expect(parseRequestCounters(SCRAPE, 1000)).toEqual({ produce: 105, fetch: 40, at: 1000 })
})

test('rates are per second between scrapes, and 0 when a counter went back (a restarted node)', () => {
  expect(rates({ produce: 100, fetch: 10, at: 0 }, { produce: 300, fetch: 50, at: 2000 })).toEqual({ produce: 100, fetch: 20 })
  expect(rates({ produce: 500, fetch: 10, at: 0 }, { produce: 3, fetch: 12, at: 1000 })).toEqual({ produce: 0, fetch: 2 })
})

test("a node's /metrics is on its own port, https for wss", () => {
  expect(metricsUrl('ws://127.0.0.1:9093')).toBe('http://127.0.0.1:9093/metrics')
  expect(metricsUrl('wss://h:9092')).toBe('https://h:9092/metrics')
})

test('topic sizes: the largest replica of each partition over every scrape, summed per topic', () => {
  const node1 = `# TYPE tributary_partition_log_size_bytes gauge
tributary_partition_log_size_bytes{topic="orders",partition="0"} 1000
tributary_partition_log_size_bytes{topic="orders",partition="1"} 400
tributary_partition_log_size_bytes{topic="audit",partition="0"} 7
tributary_partition_log_end_offset{topic="orders",partition="0"} 99999
`
  const node2 = `tributary_partition_log_size_bytes{topic="orders",partition="0"} 900
tributary_partition_log_size_bytes{topic="orders",partition="1"} 600
`
  expect(parseTopicSizes([node1, node2])).toEqual(new Map([['orders', 1600], ['audit', 7]]))
  expect(parseTopicSizes([])).toEqual(new Map())
})
