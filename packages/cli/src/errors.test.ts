import { describe, expect, test } from '@jest/globals'
import { describeError } from './errors.js'

const systemError = (code: string, message: string): Error => Object.assign(new Error(message), { code })

describe('describeError', () => {
  test('socket errors are the cluster being unreachable', () => {
    expect(describeError(systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9092'), 'ws://127.0.0.1:9092')).toEqual({
      line: 'cannot reach the cluster at ws://127.0.0.1:9092: connect ECONNREFUSED 127.0.0.1:9092', exitCode: 1, bug: false,
    })
    expect(describeError(systemError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN broker'), 'ws://broker:9092').line).toBe('cannot reach the cluster at ws://broker:9092: getaddrinfo EAI_AGAIN broker')
  })

  test('file errors say what they are, not that the cluster is unreachable', () => {
    const err = systemError('ENOENT', "ENOENT: no such file or directory, stat '/tmp/x/000233.ldb'")
    expect(describeError(err, 'ws://127.0.0.1:9092')).toEqual({ line: "ENOENT: no such file or directory, stat '/tmp/x/000233.ldb'", exitCode: 1, bug: false })
  })
})
