/**
 * Client-side errors. Everything the SDK throws is a TributaryError (from
 * @tributary/protocol) so callers branch on `code` and `retriable` alone, as
 * with kafkajs. Bad arguments are ArgumentError: INVALID_REQUEST, never retriable.
 */
import { ErrorCode, TributaryError, errorName } from '@tributary/protocol'

export { TributaryError, ErrorCode, errorName }

/** A caller passed something the SDK cannot act on (KafkaJSNonRetriableError's role). */
export class ArgumentError extends TributaryError {
  constructor(message: string) {
    super(ErrorCode.INVALID_REQUEST, message)
    this.name = 'ArgumentError'
  }
}

/**
 * The client, producer or consumer was closed (before or while the operation
 * waited). CLIENT_CLOSED, not retriable: a caller that retries while `retriable`
 * would otherwise retry a closed object forever.
 */
export class ClosedError extends TributaryError {
  constructor(what: string, options?: { cause?: unknown }) {
    super(ErrorCode.CLIENT_CLOSED, `${what} is closed`, options)
    this.name = 'ClosedError'
  }
}

export function closedError(what: string, cause?: unknown): ClosedError {
  return new ClosedError(what, cause === undefined ? undefined : { cause })
}

/** An error code from a response body, as a throwable value (with the broker's message, if any). */
export function responseError(code: number, message?: string | null, context?: string): TributaryError {
  const parts = [context, message].filter((s): s is string => !!s)
  return new TributaryError(code, parts.join(': ') || undefined)
}

export function asTributaryError(err: unknown): TributaryError {
  if (err instanceof TributaryError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new TributaryError(ErrorCode.UNKNOWN_SERVER_ERROR, message, { cause: err })
}

export function assertArg(cond: unknown, message: string): asserts cond {
  if (!cond) throw new ArgumentError(message)
}

/** A config option that must be an integer >= min: the value, or `def` when unset. */
export function intOption(v: number | undefined, def: number, name: string, min: number): number {
  const x = v ?? def
  assertArg(Number.isSafeInteger(x) && x >= min, `${name} must be an integer >= ${min}, got ${v}`)
  return x
}

/** An invariant of the SDK itself: failing it is a bug, not bad input. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`tributary client invariant: ${message}`)
}
