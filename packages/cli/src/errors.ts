/**
 * How the CLI fails: exit 1 with one line for anything the user or the cluster
 * did (unknown topic, unreachable bootstrap, refused request), exit 2 with one
 * line for a bad flag or value. Stack traces are for bugs only, and only then.
 */
import { TributaryError, errorName } from '@tributary/protocol'

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** A failure to report as one line, then exit with `exitCode`. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_FAILURE) {
    super(message)
    this.name = 'CliError'
  }
}

/** A bad flag or flag value: exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE)
    this.name = 'UsageError'
  }
}

/**
 * The error code a transport gives an error for a wss:// connection whose port
 * answered in plain text (no TLS): `Object.assign(err, { code: TLS_NOT_SPOKEN })`.
 * The CLI turns it into a hint; OpenSSL's own wording for the same case
 * ("wrong version number") is recognised too.
 */
export const TLS_NOT_SPOKEN = 'ERR_TLS_NOT_SPOKEN'
const TLS_NOT_SPOKEN_TEXT = /ERR_TLS_NOT_SPOKEN|wrong version number|WRONG_VERSION_NUMBER|packet length too long|the port does not speak TLS/i

/** Node's socket and name-resolution error codes. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE'])

/** Error codes that look like a network failure, worded for the person at the terminal. */
const UNREACHABLE = new Set(['NETWORK_EXCEPTION', 'BROKER_NOT_AVAILABLE', 'REQUEST_TIMED_OUT'])

/** The one line printed for an error, and the exit code. */
export function describeError(err: unknown, bootstrap?: string): { line: string; exitCode: number; bug: boolean } {
  if (err instanceof CliError) return { line: err.message, exitCode: err.exitCode, bug: false }
  const e = err as { code?: unknown; type?: unknown; message?: unknown; name?: unknown } | null
  const message = typeof e?.message === 'string' ? firstLine(e.message) : String(err)
  const user = (line: string) => ({ line, exitCode: EXIT_FAILURE, bug: false })
  if (bootstrap && tlsNotSpoken(err, bootstrap)) {
    return user(`cannot reach the cluster at ${bootstrap}: the port does not speak TLS (use ws:// for a plain port, or point wss:// at a TLS listener)`)
  }
  if (err instanceof TributaryError || (typeof e?.code === 'number' && typeof e?.type === 'string')) {
    const type = typeof e?.type === 'string' ? e.type : errorName(Number(e?.code))
    if (UNREACHABLE.has(type) && bootstrap) return user(unreachable(bootstrap, networkCause(message)))
    if (type === 'UNKNOWN_TOPIC_OR_PARTITION') return user(`${message.replace(/ \(waited \d+ ms\)/, '')}; see \`tributary topics list\``)
    return user(message)
  }
  // Node's own connection errors (ECONNREFUSED, ENOTFOUND ...) are the user's cluster, not our bug;
  // other system errors (ENOENT, EACCES ...) are about files and say so themselves.
  if (typeof e?.code === 'string' && /^E[A-Z_]+$/.test(e.code)) {
    const network = NETWORK_CODES.has(e.code) && bootstrap
    return user(network ? unreachable(bootstrap, message) : message)
  }
  // Client-side errors with a name (KafkaJS-style error classes) are user-facing too.
  if (typeof e?.name === 'string' && /^Tributary|Error$/.test(e.name) && e.name !== 'Error' && e.name !== 'TypeError' && e.name !== 'RangeError' && e.name !== 'ReferenceError') {
    return { line: message, exitCode: EXIT_FAILURE, bug: false }
  }
  return { line: message, exitCode: EXIT_FAILURE, bug: true }
}

/** Errors wrap their causes (transport → connection → cluster): look down the chain. */
function causes(err: unknown): Array<{ code?: unknown; message?: unknown }> {
  const chain: Array<{ code?: unknown; message?: unknown; cause?: unknown }> = []
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | null; e && typeof e === 'object' && chain.length < CAUSE_DEPTH_MAX; e = e.cause as typeof e) chain.push(e)
  return chain
}
const CAUSE_DEPTH_MAX = 8

/**
 * A wss:// URL whose port speaks plain ws:// (or HTTP): the transport's code or message (PLAIN_PORT_MESSAGE in @tributary/protocol), or
 * OpenSSL's words, or EPROTO (a TLS protocol error) on a wss:// bootstrap.
 */
function tlsNotSpoken(err: unknown, bootstrap: string): boolean {
  const chain = causes(err)
  if (chain.some((c) => c.code === TLS_NOT_SPOKEN)) return true
  const text = chain.map((c) => `${String(c.code ?? '')} ${String(c.message ?? '')}`).join(' ')
  return TLS_NOT_SPOKEN_TEXT.test(text) || (/^wss:/.test(bootstrap) && /\bEPROTO\b/.test(text))
}

/** "cannot reach", and for a refused local address the likely cause: no cluster started. */
function unreachable(bootstrap: string, cause: string): string {
  const line = `cannot reach the cluster at ${bootstrap}: ${cause}`
  const local = bootstrap.split(',').every((u) => /^wss?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|$)/.test(u))
  return local && /ECONNREFUSED/.test(cause) ? `${line} (no cluster running? \`npm start\` runs one here)` : line
}

/** The useful tail of a nested network error: the errno or the timeout, else the whole message. */
function networkCause(message: string): string {
  const errno = /\b(E[A-Z]{3,})\b/.exec(message)
  if (errno) return errno[1]!
  if (/timed out|within \d+ ms/i.test(message)) return message.replace(/^[A-Z_]+: /, '')
  return message
}

function firstLine(s: string): string {
  const i = s.indexOf('\n')
  return i < 0 ? s : s.slice(0, i)
}
