/**
 * Kafka listener addresses. Registered with the controller as the named listener
 * `kafka` in the form `host:port` (Kafka's own notation), so Metadata asked on
 * the Kafka listener lists every broker at its Kafka address.
 */

/** The listener name the Kafka endpoint is registered under. */
export const KAFKA_LISTENER = 'kafka'

/** `host:port` / `[v6]:port` → parts (port 0 included: a bind address); null for anything else. */
export function splitHostPort(endpoint: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:/[\]]+)):(\d{1,5})$/.exec(endpoint)
  if (!m || Number(m[3]) > 65535) return null
  return { host: m[1] ?? m[2]!, port: Number(m[3]) }
}

/** A broker's registered Kafka address; null for anything else (e.g. the ws:// URL of a node without a Kafka listener). */
export function parseKafkaEndpoint(endpoint: string): { host: string; port: number } | null {
  const at = splitHostPort(endpoint)
  return at && at.port > 0 ? at : null
}

export function formatKafkaEndpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
