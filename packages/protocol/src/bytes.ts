/** Byte-string helpers shared by every package that moves record batches. */

const EMPTY = new Uint8Array(0)

/**
 * The chunks as one buffer. One chunk is returned as it is (no copy: record
 * batches are large and usually travel alone), none as an empty array.
 * `totalBytes`, when the caller already summed the lengths, saves a pass.
 */
export function concatBytes(chunks: readonly Uint8Array[], totalBytes?: number): Uint8Array {
  if (chunks.length === 0) return EMPTY
  if (chunks.length === 1) return chunks[0]
  let total = totalBytes ?? 0
  if (totalBytes === undefined) for (const c of chunks) total += c.length
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}
