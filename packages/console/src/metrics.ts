/**
 * What the console reads from the nodes' Prometheus /metrics (the one thing it
 * reads besides the SDK): produce and fetch requests per second per broker, from
 * tributary_requests_total{api=...} summed over its error labels, between two
 * scrapes; and the bytes each topic holds, from tributary_partition_log_size_bytes.
 */
export interface Counters { produce: number; fetch: number; at: number }

/** Sum of tributary_requests_total samples for each api of interest. */
export function parseRequestCounters(text: string, at: number): Counters {
  let produce = 0
  let fetch = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith('tributary_requests_total{')) continue
    const api = /api="([^"]*)"/.exec(line)?.[1]
    const value = Number(line.slice(line.lastIndexOf(' ') + 1))
    if (!Number.isFinite(value)) continue
    if (api === 'Produce') produce += value
    else if (api === 'Fetch') fetch += value
  }
  return { produce, fetch, at }
}

/** Per-second rates between two samples (0 when a counter went back: the node restarted). */
export function rates(prev: Counters, next: Counters): { produce: number; fetch: number } {
  const s = Math.max(0.001, (next.at - prev.at) / 1000)
  return { produce: Math.max(0, next.produce - prev.produce) / s, fetch: Math.max(0, next.fetch - prev.fetch) / s }
}

/** http(s)://host:port/metrics of a broker's ws(s):// endpoint. */
export function metricsUrl(endpoint: string): string {
  const u = new URL(endpoint)
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:'
  u.pathname = '/metrics'
  return u.toString()
}

/**
 * Bytes each topic holds, one copy: for every partition the largest of its replicas'
 * tributary_partition_log_size_bytes over the scrapes given (one per broker; the
 * leader's is the longest log), summed per topic.
 */
export function parseTopicSizes(scrapes: readonly string[]): Map<string, number> {
  const largest = new Map<string, { topic: string; bytes: number }>()
  for (const text of scrapes) {
    for (const line of text.split('\n')) {
      if (!line.startsWith('tributary_partition_log_size_bytes{')) continue
      const topic = /topic="([^"]*)"/.exec(line)?.[1]
      const partition = /partition="([^"]*)"/.exec(line)?.[1]
      const bytes = Number(line.slice(line.lastIndexOf(' ') + 1))
      if (topic === undefined || partition === undefined || !Number.isFinite(bytes)) continue
      const key = `${topic}\u0000${partition}`
      if ((largest.get(key)?.bytes ?? -1) < bytes) largest.set(key, { topic, bytes })
    }
  }
  const sizes = new Map<string, number>()
  for (const { topic, bytes } of largest.values()) sizes.set(topic, (sizes.get(topic) ?? 0) + bytes)
  return sizes
}

/** Every reachable broker's /metrics text; a node that does not answer in time is left out. */
export async function scrapeAll(endpoints: readonly string[], timeoutMs = 1500): Promise<string[]> {
  const texts = await Promise.all(endpoints.map(async (e) => {
    try {
      const r = await fetch(metricsUrl(e), { signal: AbortSignal.timeout(timeoutMs) })
      return r.ok ? await r.text() : undefined
    } catch {
      return undefined
    }
  }))
  return texts.filter((t): t is string => t !== undefined)
}
