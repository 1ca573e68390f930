import { describe, expect, test } from '@jest/globals'
import { TributaryError, ErrorCode } from '@tributary/protocol'
import { describeError, TLS_NOT_SPOKEN } from './errors.js'

const systemError = (code: string, message: string): Error => Object.assign(new Error(message), { code })

describe('describeError', () => {
  test('socket errors are the cluster being unreachable', () => {
    expect(describeError(systemError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:9092'), 'ws://10.0.0.5:9092')).toEqual({
      line: 'cannot reach the cluster at ws://10.0.0.5:9092: connect ECONNREFUSED 10.0.0.5:9092', exitCode: 1, bug: false,
    })
    expect(describeError(systemError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN broker'), 'ws://broker:9092').line).toBe('cannot reach the cluster at ws://broker:9092: getaddrinfo EAI_AGAIN broker')
  })

  test('file errors say what they are, not that the cluster is unreachable', () => {
    const err = systemError('ENOENT', "ENOENT: no such file or directory, stat '/tmp/x/000233.ldb'")
    expect(describeError(err, 'ws://127.0.0.1:9092')).toEqual({ line: "ENOENT: no such file or directory, stat '/tmp/x/000233.ldb'", exitCode: 1, bug: false })
  })
})

describe('hints', () => {
  test('a refused local address suggests starting a cluster with npm start', () => {
    const refused = systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9092')
    expect(describeError(refused, 'ws://127.0.0.1:9092,ws://localhost:9093').line).toBe(
      'cannot reach the cluster at ws://127.0.0.1:9092,ws://localhost:9093: connect ECONNREFUSED 127.0.0.1:9092 (no cluster running? `npm start` runs one here)',
    )
    const wrapped = new TributaryError(ErrorCode.NETWORK_EXCEPTION, 'NETWORK_EXCEPTION: connect ECONNREFUSED 127.0.0.1:9092')
    expect(describeError(wrapped, 'ws://127.0.0.1:9092').line).toBe('cannot reach the cluster at ws://127.0.0.1:9092: ECONNREFUSED (no cluster running? `npm start` runs one here)')
    // A remote cluster that refuses is not ours to start.
    expect(describeError(refused, 'ws://broker:9092').line).not.toMatch(/npm start/)
  })

  test('an unknown topic points to topics list, without the client\'s wait', () => {
    const err = new TributaryError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'topic "nope" is not known to the cluster (waited 0 ms)')
    expect(describeError(err, 'ws://127.0.0.1:9092').line).toBe('UNKNOWN_TOPIC_OR_PARTITION: topic "nope" is not known to the cluster; see `tributary topics list`')
  })

  test('a wss:// connection to a plain port says the port does not speak TLS', () => {
    const line = 'cannot reach the cluster at wss://127.0.0.1:9092: the port does not speak TLS (use ws:// for a plain port, or point wss:// at a TLS listener)'
    // The code a transport sets (errors.ts TLS_NOT_SPOKEN), on the error or on its cause ...
    expect(describeError(Object.assign(new Error('handshake failed'), { code: TLS_NOT_SPOKEN }), 'wss://127.0.0.1:9092').line).toBe(line)
    expect(describeError(new TributaryError(ErrorCode.NETWORK_EXCEPTION, 'connection failed', { cause: Object.assign(new Error('x'), { code: TLS_NOT_SPOKEN }) }), 'wss://127.0.0.1:9092').line).toBe(line)
    // ... and OpenSSL's own words for it.
    const openssl = systemError('EPROTO', 'write EPROTO 40E7:error:0A00010B:SSL routines:ssl3_get_record:wrong version number')
    expect(describeError(openssl, 'wss://127.0.0.1:9092').line).toBe(line)
  })
})
