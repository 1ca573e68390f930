/**
 * Reading a secret (a password) for the CLI: from a file, from a flag, or
 * typed at a terminal with echo off. Nothing here ever prints the secret.
 */
import { readFileSync } from 'node:fs'
import { CliError, UsageError } from './errors.js'
import type { Io } from './io.js'

/** A secret file's content: its first line, without the line break (what `echo pw > f` leaves). */
export function readSecretFile(flag: string, path: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new UsageError(`--${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const secret = text.split(/\r?\n/)[0] ?? ''
  if (secret === '') throw new UsageError(`--${flag}: ${path} is empty`)
  return secret
}

/**
 * A line typed at the terminal, not echoed; or, when stdin is not a terminal,
 * its first line (so `printf 'pw\n' | tributary users create ...` works).
 */
export async function readSecretLine(io: Io, prompt: string): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream
  const tty = stdin.isTTY === true && typeof stdin.setRawMode === 'function'
  if (tty) io.stderr.write(prompt)
  const line = await new Promise<string>((resolve, reject) => {
    let buf = ''
    const done = (value: string | Error): void => {
      stdin.off('data', onData)
      stdin.off('end', onEnd)
      if (tty) stdin.setRawMode(false)
      stdin.pause()
      if (value instanceof Error) reject(value)
      else resolve(value)
    }
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\u0003') return done(new CliError('cancelled'))
        if (ch === '\n' || ch === '\r') return done(buf)
        if (tty && (ch === '\u007f' || ch === '\b')) buf = buf.slice(0, -1)
        else buf += ch
      }
    }
    const onEnd = (): void => done(buf)
    if (tty) stdin.setRawMode(true)
    stdin.on('data', onData)
    stdin.on('end', onEnd)
    stdin.resume()
  })
  if (tty) io.stderr.write('\n')
  return line
}
