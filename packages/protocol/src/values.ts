/**
 * Checks on decoded, untrusted values (msgpack bodies, CLI and config input):
 * the one definition each edge validates against.
 */

/** A number that is an integer JavaScript represents exactly (msgpack int64s beyond 2^53 are not). */
export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v)
}
