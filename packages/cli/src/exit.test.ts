import { Writable } from 'node:stream'
import { exitOnBrokenPipe, exitWhenFlushed, flushed } from './exit.js'

/** A stream whose writes complete only when the test says so: a pipe whose reader is behind. */
function slowStream(): { stream: Writable; written: () => string; completeAll: () => void } {
  const pending: Array<() => void> = []
  let out = ''
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      pending.push(() => {
        out += chunk.toString()
        done()
      })
    },
  })
  // Completing a write lets the stream hand over the next queued one: keep going until none is left.
  const completeAll = () => {
    while (pending.length > 0) pending.shift()!()
  }
  return { stream, written: () => out, completeAll }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

describe('exit once the output is out', () => {
  it('waits for every queued write before exiting, and exits with the given code', async () => {
    const { stream, written, completeAll } = slowStream()
    for (let i = 0; i < 100; i++) stream.write(`row ${i}\n`)
    const exits: number[] = []
    const done = exitWhenFlushed(3, [stream], (code) => exits.push(code))
    await turn()
    expect(exits).toEqual([]) // 100 rows still queued: a bare process.exit here would drop them
    completeAll()
    await done
    expect(exits).toEqual([3])
    expect(written().split('\n').filter(Boolean)).toHaveLength(100)
  })

  it('does not wait on a stream that can take no more', async () => {
    const { stream } = slowStream()
    stream.destroy()
    await expect(flushed(stream)).resolves.toBeUndefined()
  })

  it('a reader that went away (EPIPE) ends the process quietly; any other write error is not swallowed', () => {
    const { stream } = slowStream()
    const exits: number[] = []
    exitOnBrokenPipe(stream, (code) => exits.push(code))
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
    expect(exits).toEqual([0])
    expect(() => stream.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }))).toThrow('EIO')
    expect(exits).toEqual([0])
  })
})
