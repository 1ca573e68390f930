/**
 * The data-plane invariant, broken on purpose: a leader's HW past the log end of
 * a live ISR member fails; the same HW after the member left the ISR, or while
 * the member is down, does not.
 */
import { describe, expect, test } from '@jest/globals'
import type { HostedReplica } from '@tributary/broker'
import { checkHighWatermarks, PowerLossExemptions, type NodeReplicas } from './data-invariants.js'

function replica(p: Partial<HostedReplica>): HostedReplica {
  return { topic: 't', partition: 0, role: 'follower', leaderEpoch: 3, isr: [1, 2, 3], highWatermark: 0, logEndOffset: 0, ...p }
}

const leader = (highWatermark: number, isr = [1, 2, 3]): NodeReplicas => ({ nodeId: 1, replicas: [replica({ role: 'leader', isr, highWatermark, logEndOffset: 20 })] })
const follower = (nodeId: number, logEndOffset: number): NodeReplicas => ({ nodeId, replicas: [replica({ logEndOffset })] })

describe('data-plane invariant: the HW never passes a live ISR member', () => {
  test('a HW at or below every ISR member\'s log end passes', () => {
    expect(checkHighWatermarks([leader(12), follower(2, 12), follower(3, 15)])).toBeUndefined()
  })

  test('a HW past an ISR member\'s log end fails, naming the leader, the member and both offsets', () => {
    expect(checkHighWatermarks([leader(13), follower(2, 15), follower(3, 12)])).toBe('n1 leads t-0 (epoch 3) at HW 13, past the log end 12 of ISR member 3 (ISR [1,2,3])')
  })

  test('a member outside the applied ISR, a member that is down and another partition are not held against the HW', () => {
    expect(checkHighWatermarks([leader(13, [1, 2]), follower(2, 15), follower(3, 12)])).toBeUndefined()
    expect(checkHighWatermarks([leader(13), follower(2, 15), { nodeId: 3, replicas: null }])).toBeUndefined()
    expect(checkHighWatermarks([leader(13), follower(2, 15), { nodeId: 3, replicas: [replica({ partition: 1, logEndOffset: 0 })] }])).toBeUndefined()
  })

  test('a follower\'s own view is not a leader\'s: only leaders are judged', () => {
    expect(checkHighWatermarks([{ nodeId: 1, replicas: [replica({ highWatermark: 13, logEndOffset: 20 })] }, follower(3, 12)])).toBeUndefined()
  })

  test('a member that lost writes is exempt while the HW stays within the longest log at the loss, and only there', () => {
    const exempt = new PowerLossExemptions()
    // n3 loses power while the leader's log ends at 20 (n3's old process may have reported up to that).
    exempt.powerLoss(3, [leader(12), follower(2, 15), follower(3, 18)])
    expect(checkHighWatermarks([leader(13), follower(2, 15), follower(3, 12)], exempt)).toBeUndefined()
    expect(checkHighWatermarks([leader(20), follower(2, 20), follower(3, 12)], exempt)).toBeUndefined()
    // Past the bound the leader must have heard from n3's new process: the rule holds again (seed 100024 caught this once).
    expect(checkHighWatermarks([leader(21), follower(2, 21), follower(3, 12)], exempt)).toBe('n1 leads t-0 (epoch 3) at HW 21, past the log end 12 of ISR member 3 (ISR [1,2,3])')
    // Another member, never exempt.
    expect(checkHighWatermarks([leader(13), follower(2, 12), follower(3, 15)], exempt)).toContain('ISR member 2')
  })
})
