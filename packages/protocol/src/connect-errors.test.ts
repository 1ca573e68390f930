import { describe, expect, test } from '@jest/globals'
import { explainConnectFailure, PLAIN_PORT_MESSAGE, TLS_PORT_MESSAGE } from './connect-errors.js'

describe('explainConnectFailure', () => {
  test('ws:// answered 426 (as ws reports it, or as a status) is a TLS port', () => {
    expect(explainConnectFailure('ws://h:1', { message: 'Unexpected server response: 426' })).toBe(TLS_PORT_MESSAGE)
    expect(explainConnectFailure('ws://h:1', { status: 426 })).toBe(TLS_PORT_MESSAGE)
  })

  test('ws:// dropped during the upgrade suggests wss://, without claiming it', () => {
    expect(explainConnectFailure('ws://h:1', { code: 'ECONNRESET', message: 'socket hang up' })).toMatch(/closed during the WebSocket upgrade \(ECONNRESET\); if the port speaks TLS, use wss:\/\//)
  })

  test('wss:// answered in plaintext is a plain port', () => {
    expect(explainConnectFailure('wss://h:1', { code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number' })).toBe(PLAIN_PORT_MESSAGE)
    expect(explainConnectFailure('wss://h:1', { code: 'ERR_SSL_PACKET_LENGTH_TOO_LONG' })).toBe(PLAIN_PORT_MESSAGE)
  })

  test('certificate problems name the fix', () => {
    expect(explainConnectFailure('wss://h:1', { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' })).toMatch(/^untrusted certificate .*--tls-ca/)
    expect(explainConnectFailure('wss://h:1', { code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: "Hostname/IP does not match certificate's altnames" })).toMatch(/^untrusted certificate/)
    expect(explainConnectFailure('wss://h:1', { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' })).toMatch(/requires a client certificate signed by its CA/)
    expect(explainConnectFailure('wss://h:1', { code: 'ECONNRESET' })).toMatch(/requires client certificates/)
  })

  test('anything else keeps its code or message', () => {
    expect(explainConnectFailure('ws://h:1', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' })).toBe('ECONNREFUSED')
    expect(explainConnectFailure('ws://h:1', { message: 'Unexpected server response: 503' })).toBe('HTTP 503 on upgrade')
  })

  test("a browser's causeless error names the likely causes for its scheme", () => {
    expect(explainConnectFailure('ws://h:1', {})).toMatch(/^connection failed \(a browser does not say why: a port that speaks TLS \(use wss:\/\/\)/)
    expect(explainConnectFailure('wss://h:1', {})).toMatch(/^connection failed \(a browser does not say why: an untrusted certificate, a port without TLS/)
  })
})
