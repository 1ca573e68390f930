import { ErrorCode } from '@tributary/protocol'
import type { RequestContext, Session } from '../seams.js'
import { unregisterAccess } from './unregister-access.js'

const ctx = (session: Session, clusterAccess = false): RequestContext =>
  ({ connectionId: 1, remoteAddress: '127.0.0.1', apiKey: 64, apiVersion: 0, correlationId: 1, signal: new AbortController().signal, session, tls: false, clusterAccess }) as RequestContext

const broker3: Session = { principal: 'Broker:3', brokerId: 3, authenticated: true }
const alice: Session = { principal: 'User:alice', authenticated: true }
const anonymous: Session = { principal: 'User:ANONYMOUS', authenticated: false }

describe('who may unregister a broker', () => {
  test('a broker unregisters itself, never another', () => {
    expect(unregisterAccess({ nodeId: 3 }, ctx(broker3, true))).toEqual({ ok: true, body: { nodeId: 3 } })
    const other = unregisterAccess({ nodeId: 2 }, ctx(broker3, true))
    expect(other.ok).toBe(false)
    if (!other.ok) expect(other.refusal).toMatchObject({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, body: { errorMessage: expect.stringMatching(/broker 3 may unregister only itself, not 2/) } })
  })

  test('a request a broker forwarded is taken as that broker checked it (the operator flag kept)', () => {
    expect(unregisterAccess({ nodeId: 2, onlyFenced: true, forwardedBy: 3 }, ctx(broker3, true))).toEqual({ ok: true, body: { nodeId: 2, onlyFenced: true, forwardedBy: 3 } })
  })

  test('an authenticated operator may, for a fenced broker only, whatever it sends', () => {
    expect(unregisterAccess({ nodeId: 2, onlyFenced: false }, ctx(alice))).toEqual({ ok: true, body: { nodeId: 2, onlyFenced: true } })
    // Not believed from a client: forwardedBy.
    expect(unregisterAccess({ nodeId: 2, forwardedBy: 1 }, ctx(alice))).toEqual({ ok: true, body: { nodeId: 2, forwardedBy: 1, onlyFenced: true } })
  })

  test('an anonymous connection is refused on a secured cluster, and is an operator on an open one', () => {
    expect(unregisterAccess({ nodeId: 2 }, ctx(anonymous)).ok).toBe(false)
    expect(unregisterAccess({ nodeId: 2 }, ctx(anonymous, true))).toEqual({ ok: true, body: { nodeId: 2, onlyFenced: true } })
  })
})
