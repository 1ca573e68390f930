/**
 * Aligned plain-text tables, the way kafka-topics / kafka-consumer-groups print
 * them: a header row, then one row per item, columns padded to the widest cell
 * and separated by two spaces. No borders, so output stays grep- and awk-friendly.
 */

export type Cell = string | number | boolean | null | undefined | readonly (string | number)[]
export type Align = 'left' | 'right'

export interface TableOptions {
  /** Per-column alignment; numbers default to right, everything else to left. */
  align?: Align[]
  /** Gap between columns. */
  gap?: string
}

/** Printed for a missing value, so columns never collapse. */
export const EMPTY_CELL = '-'

export function cellText(c: Cell): string {
  if (c === null || c === undefined || c === '') return EMPTY_CELL
  if (Array.isArray(c)) return (c as unknown[]).join(',')
  return String(c)
}

/** Width as a terminal shows it: code points, not UTF-16 units. */
function width(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

export function formatTable(header: string[], rows: Cell[][], opts: TableOptions = {}): string {
  const gap = opts.gap ?? '  '
  const text = rows.map((r) => header.map((_, i) => cellText(r[i])))
  const widths = header.map((h, i) => Math.max(width(h), ...text.map((r) => width(r[i]!))))
  const align = header.map((_, i) => opts.align?.[i] ?? (rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] == null) && rows.some((r) => typeof r[i] === 'number') ? 'right' : 'left'))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(widths[i]! - width(c))
        if (align[i] === 'right') return pad + c
        return i === cells.length - 1 ? c : c + pad // no trailing blanks
      })
      .join(gap)
  return [line(header), ...text.map(line)].join('\n')
}

/**
 * `Key: value` pairs, keys padded to one width, as in `kafka-metadata-quorum describe --status`.
 */
export function formatKeyValues(pairs: Array<[string, Cell]>): string {
  const w = Math.max(0, ...pairs.map(([k]) => width(k)))
  return pairs.map(([k, v]) => `${k}:${' '.repeat(w - width(k) + 1)}${cellText(v)}`).join('\n')
}
