/**
 * Exiting without losing output. `process.exit()` discards whatever stdout and
 * stderr still hold in the process: when stdout is a pipe whose reader is slower
 * than we write (a script, a test harness under load), the kernel takes the first
 * 64 KiB and Node queues the rest, so a bare exit cuts `--json` output at a row
 * boundary and still exits 0. Each stream's queue is written in order, so an empty
 * write's callback runs once everything written before it has reached the OS.
 */
import type { Writable } from 'node:stream'

/** Resolves when `stream` has handed the OS everything written to it so far (or can take no more). */
export function flushed(stream: Writable): Promise<void> {
  if (stream.destroyed || !stream.writable) return Promise.resolve()
  // A write error (EPIPE: the reader is gone) also ends the wait: nothing more can be delivered.
  return new Promise((resolve) => stream.write('', () => resolve()))
}

/** Exit with `code` once stdout and stderr are flushed. */
export async function exitWhenFlushed(
  code: number,
  streams: Writable[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (c) => process.exit(c),
): Promise<void> {
  await Promise.all(streams.map(flushed))
  exit(code)
}

/**
 * A reader that closes early (`tributary metadata log | head`) has taken what it
 * wanted: exit quietly, as a Unix tool dying of SIGPIPE does, instead of throwing
 * the unhandled EPIPE error at the user. Any other write error is a real failure.
 */
export function exitOnBrokenPipe(stream: Writable, exit: (code: number) => void = (c) => process.exit(c)): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    exit(Number(process.exitCode ?? 0))
  })
}
