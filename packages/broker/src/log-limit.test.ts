import { describe, expect, test } from '@jest/globals'
import { ErrorCode, TributaryError } from '@tributary/protocol'
import { errorFields, RateLimitedLog } from './log-limit.js'

function recorder(): { lines: Array<{ level: string; obj: any; msg?: string }>; logger: any } {
  const lines: Array<{ level: string; obj: any; msg?: string }> = []
  const at = (level: string) => (obj: unknown, msg?: string) => lines.push({ level, obj, msg })
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } }
}

describe('RateLimitedLog', () => {
  test('one line per key per interval, and the next line counts what was suppressed', () => {
    const { lines, logger } = recorder()
    let now = 1000
    const log = new RateLimitedLog(logger, { now: () => now }, 10_000)
    expect(log.warn('refused:INVALID_UPDATE_VERSION', { errorCode: 108 }, 'AlterPartition refused')).toBe(true)
    for (let i = 0; i < 500; i++) {
      now += 10
      log.warn('refused:INVALID_UPDATE_VERSION', { errorCode: 108 }, 'AlterPartition refused')
    }
    expect(lines).toHaveLength(1)
    expect(lines[0]).toEqual({ level: 'warn', obj: { errorCode: 108 }, msg: 'AlterPartition refused' })
    now = 1000 + 10_000
    expect(log.warn('refused:INVALID_UPDATE_VERSION', { errorCode: 108 }, 'AlterPartition refused')).toBe(true)
    expect(lines).toHaveLength(2)
    expect(lines[1].obj).toEqual({ errorCode: 108, suppressed: 500 })
    // nothing suppressed since: no count on the next line
    now += 10_000
    log.warn('refused:INVALID_UPDATE_VERSION', { errorCode: 108 }, 'AlterPartition refused')
    expect(lines[2].obj).toEqual({ errorCode: 108 })
  })

  test('keys are limited independently and keep their level', () => {
    const { lines, logger } = recorder()
    const log = new RateLimitedLog(logger, { now: () => 0 }, 1000)
    log.warn('a', {}, 'first cause')
    log.info('b', {}, 'second cause')
    log.warn('a', {}, 'first cause')
    expect(lines.map((l) => [l.level, l.msg])).toEqual([['warn', 'first cause'], ['info', 'second cause']])
  })

  test('remembers a bounded number of keys, forgetting the least recently written', () => {
    const { lines, logger } = recorder()
    const log = new RateLimitedLog(logger, { now: () => 0 }, 1000, 2)
    log.warn('a', {}, 'a')
    log.warn('b', {}, 'b')
    log.warn('c', {}, 'c') // forgets a
    log.warn('b', {}, 'b') // still limited
    log.warn('a', {}, 'a') // written again: it was forgotten
    expect(lines.map((l) => l.msg)).toEqual(['a', 'b', 'c', 'a'])
  })
})

describe('errorFields', () => {
  test('an expected condition is its code and message, without a stack', () => {
    const f = errorFields(new TributaryError(ErrorCode.REQUEST_TIMED_OUT, 'controller unreachable'))
    expect(f).toEqual({ errorCode: ErrorCode.REQUEST_TIMED_OUT, error: 'REQUEST_TIMED_OUT: controller unreachable' })
    expect(JSON.stringify(f)).not.toContain('at ')
  })

  test('anything else keeps the error (pino prints its stack)', () => {
    const bug = new TypeError('x is undefined')
    expect(errorFields(bug)).toEqual({ err: bug })
  })
})
