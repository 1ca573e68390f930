import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { ErrorCode, TributaryError } from '@tributary/protocol'
import { probeHealth, type QuorumProbe } from '../node-rpc.js'
import { pollStatus, statusLine, type NodeProbes } from './dev-status.js'

const quorum = (leaderId: number, leaderEpoch: number, highWatermark = 10): QuorumProbe =>
  ({ clusterId: 'c', leaderId, leaderEpoch, highWatermark, voters: [], observers: [] })
const electing = (): Promise<QuorumProbe> => Promise.reject(new TributaryError(ErrorCode.NOT_CONTROLLER, 'no controller elected'))

describe('dev status line', () => {
  let server: http.Server
  let url: string
  beforeAll(async () => {
    server = http.createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('during an election every serving node is up, no leader is named, and the last known term stays', async () => {
    const probes: NodeProbes = { healthy: probeHealth, quorum: electing }
    const s = await pollStatus([url, url, url], 1000, probes, { leader: 2, term: 7, commit: 40, up: 3 })
    expect(s).toMatchObject({ leader: -1, term: 7, up: 3 })
    expect(statusLine(s, 3)).toBe('leader none  term 7  commit 40  nodes up 3/3')
  })

  it('a node that does not serve is down even when the others name a leader', async () => {
    const dead = 'ws://127.0.0.1:1'
    const probes: NodeProbes = { healthy: probeHealth, quorum: async (u) => (u === dead ? electing() : quorum(3, 9, 55)) }
    const s = await pollStatus([url, dead, url], 1000, probes)
    expect(s).toEqual({ leader: 3, term: 9, commit: 55, up: 2 })
  })

  it('the highest term wins when nodes disagree about the leader', async () => {
    const probes: NodeProbes = { healthy: async () => true, quorum: async (u) => (u === 'ws://a:1' ? quorum(1, 4) : quorum(2, 5)) }
    expect(await pollStatus(['ws://a:1', 'ws://b:1'], 1000, probes)).toMatchObject({ leader: 2, term: 5 })
  })
})
