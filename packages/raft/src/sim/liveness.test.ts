import { MessageType, type RaftMessage } from '../message.js'
import { RaftNode } from '../raft-node.js'
import { runSimulation } from './simulation.js'

/**
 * The liveness phase must fail a broken core (regressions.test.ts and sim.test.ts
 * show it passes a healthy one); otherwise a green long run proves nothing about
 * elections.
 */
describe('simulator liveness check', () => {
  describe('with a core broken on purpose', () => {
    const step = RaftNode.prototype.step
    afterEach(() => {
      RaftNode.prototype.step = step
    })
    /** Every node drops the messages `ignored` says, before its core sees them. */
    const breakCore = (ignored: (m: RaftMessage) => boolean): void => {
      RaftNode.prototype.step = function (this: RaftNode, m: RaftMessage) {
        return ignored(m) ? { ok: true, value: undefined } : step.call(this, m)
      }
    }

    test('voters that never answer a vote request: no leader, and the run fails', () => {
      breakCore((m) => m.type === MessageType.Vote || m.type === MessageType.PreVote)
      for (const voters of [3, 5]) {
        const r = runSimulation({ seed: 7, voters })
        expect(r.ok).toBe(false)
        expect(r.failure).toMatch(/^liveness: no leader within 100 ticks after healing/)
      }
    })

    test('a leader whose appends are never taken: no progress, and the run fails', () => {
      breakCore((m) => m.type === MessageType.App)
      const r = runSimulation({ seed: 7, voters: 3 })
      expect(r.ok).toBe(false)
      expect(r.failure).toMatch(/^liveness: no progress for 100 ticks after healing/)
    })
  })
})
