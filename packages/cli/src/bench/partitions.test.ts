import { describe, expect, test } from '@jest/globals'
import { parseMetrics } from './partitions.js'

const TEXT = `# HELP tributary_raft_term current Raft term
tributary_raft_term{node_id="2"} 7
tributary_raft_leader_id{node_id="2"} 3
tributary_fenced_brokers{node_id="2"} 1
tributary_cluster_under_replicated_partitions{node_id="2"} 4
tributary_raft_tick_delay_seconds_bucket{le="0.25",cause="busy",node_id="2"} 90
tributary_raft_tick_delay_seconds_bucket{le="0.5",cause="busy",node_id="2"} 95
tributary_raft_tick_delay_seconds_count{cause="busy",node_id="2"} 100
tributary_raft_tick_delay_seconds_bucket{le="0.25",cause="starved",node_id="2"} 400
tributary_raft_tick_delay_seconds_bucket{le="0.5",cause="starved",node_id="2"} 402
tributary_raft_tick_delay_seconds_count{cause="starved",node_id="2"} 410
tributary_controller_heartbeat_gap_seconds_bucket{le="1",node_id="2"} 50
tributary_controller_heartbeat_gap_seconds_bucket{le="2",node_id="2"} 58
tributary_controller_heartbeat_gap_seconds_count{node_id="2"} 60
tributary_raft_persist_seconds_bucket{le="0.1",node_id="2"} 8
tributary_raft_persist_seconds_count{node_id="2"} 11
tributary_event_loop_delay_seconds{quantile="0.99",node_id="2"} 0.2
tributary_controller_session_reprieves_total{node_id="2"} 5
tributary_event_loop_delay_seconds{quantile="1",node_id="2"} 0.75
`

describe('parseMetrics', () => {
  test('reads the control-plane figures, summing histogram series over their labels', () => {
    expect(parseMetrics(TEXT)).toEqual({
      raftTerm: 7, leaderId: 3, fencedBrokers: 1, underReplicated: 4,
      ticks: 510, ticksLate250ms: 20, ticksLate500ms: 13, ticksLate250msBusy: 10,
      heartbeatGapsOver1s: 10, heartbeatGapsOver2s: 2,
      eventLoopMaxMs: 750, raftPersistOver100ms: 3, sessionReprieves: 5,
    })
  })

  test('a metric the broker does not export reads as 0', () => {
    expect(parseMetrics('tributary_raft_term{node_id="1"} 2\n')).toMatchObject({ raftTerm: 2, ticks: 0, ticksLate500ms: 0, eventLoopMaxMs: 0 })
  })
})
