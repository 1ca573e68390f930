/**
 * Rates from the nodes' Prometheus /metrics (the one thing the console reads
 * besides the SDK): produce and fetch requests per second per broker, from
 * tributary_requests_total{api=...} summed over its error labels, between two
 * scrapes.
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
