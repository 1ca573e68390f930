/** How the console shows bytes (text, pretty JSON, hex) and times. */
export type View = 'text' | 'json' | 'hex'

const utf8 = new TextDecoder('utf-8', { fatal: false })

export function asText(b: Uint8Array | null): string {
  return b === null ? 'null' : utf8.decode(b)
}

export function asHex(b: Uint8Array | null, maxBytes = 4096): string {
  if (b === null) return 'null'
  const shown = b.subarray(0, maxBytes)
  const hex = Array.from(shown, (x) => x.toString(16).padStart(2, '0')).join(' ')
  return b.length > maxBytes ? `${hex} … (${b.length} bytes)` : hex
}

/** Pretty JSON when the bytes parse as JSON, else the text as it is. */
export function asJson(b: Uint8Array | null): string {
  const t = asText(b)
  try {
    return JSON.stringify(JSON.parse(t), null, 2)
  } catch {
    return t
  }
}

export function show(b: Uint8Array | null, view: View): string {
  return view === 'hex' ? asHex(b) : view === 'json' ? asJson(b) : asText(b)
}

/** 1536 -> '1.5 KiB'. */
export function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return i === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`
}

export function isoTime(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : '–'
}

export function ago(ms: number, now = Date.now()): string {
  if (ms <= 0) return 'never'
  const s = Math.max(0, Math.round((now - ms) / 1000))
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`
}
