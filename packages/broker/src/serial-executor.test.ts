import { describe, expect, test } from '@jest/globals'
import { SerialExecutor } from './serial-executor.js'

/** A task that runs until the test lets it finish. */
function gate(): { task: () => Promise<string>; started: () => boolean; finish: (v: string) => void; fail: (e: Error) => void } {
  let resolve!: (v: string) => void
  let reject!: (e: Error) => void
  let running = false
  const done = new Promise<string>((res, rej) => {
    resolve = res
    reject = rej
  })
  return {
    task: () => {
      running = true
      return done
    },
    started: () => running,
    finish: (v) => resolve(v),
    fail: (e) => reject(e),
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('SerialExecutor', () => {
  test('runs one task at a time, in the order they were handed in', async () => {
    const ex = new SerialExecutor()
    const a = gate()
    const b = gate()
    const ra = ex.run(a.task)
    const rb = ex.run(b.task)
    await turn()
    expect([a.started(), b.started()]).toEqual([true, false])
    a.finish('a')
    expect(await ra).toBe('a')
    await turn()
    expect(b.started()).toBe(true)
    b.finish('b')
    expect(await rb).toBe('b')
  })

  test('a failing task rejects only its own caller, and the next one still runs', async () => {
    const ex = new SerialExecutor()
    const a = gate()
    const ra = ex.run(a.task)
    const rb = ex.run(async () => 'after')
    const rc = ex.run(() => {
      throw new Error('sync throw')
    })
    const rd = ex.run(async () => 'last')
    a.fail(new Error('boom'))
    await expect(ra).rejects.toThrow('boom')
    expect(await rb).toBe('after')
    await expect(rc).rejects.toThrow('sync throw')
    expect(await rd).toBe('last')
  })

  test('pending counts the tasks handed in and not yet settled', async () => {
    const ex = new SerialExecutor()
    const a = gate()
    expect(ex.pending).toBe(0)
    const ra = ex.run(a.task)
    const rb = ex.run(async () => 1)
    expect(ex.pending).toBe(2)
    a.finish('a')
    await ra
    await rb
    await turn()
    expect(ex.pending).toBe(0)
  })
})
