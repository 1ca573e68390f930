/**
 * Named client listeners, as Kafka's listener names: a node may bind more ports
 * than --listen (say one for the compose network and one published to the host)
 * and registers each one's advertised address. A client is told the addresses of
 * the listener it connected to, so it is never handed an address of a network it
 * is not on.
 */
import type { BrokerRegistration } from '../metadata/image-types.js'
import type { RequestContext } from '../seams.js'

/** Entries a registration may carry (the config allows fewer; this bounds what a frame can store). */
export const REGISTERED_ENDPOINTS_MAX = 16
const ENDPOINT_CHARS_MAX = 512

/**
 * The address of `broker` for a client of `listener` (null: the primary one).
 * A broker without that listener answers with its primary address: the cluster
 * keeps working while nodes are reconfigured one by one, where Kafka would
 * report the leader unavailable.
 */
export function endpointFor(broker: Pick<BrokerRegistration, 'endpoint' | 'endpoints'>, listener: string | null | undefined): string {
  return (listener ? broker.endpoints?.[listener] : undefined) ?? broker.endpoint
}

/** The listener a request came in on. */
export const listenerOf = (ctx: Pick<RequestContext, 'listener'> | undefined): string | null => ctx?.listener ?? null

/** A registration's `endpoints` from an untrusted frame: a bounded map of strings, or an error message. */
export function parseEndpoints(raw: unknown): { ok: true; value: Record<string, string> | undefined } | { ok: false; message: string } {
  if (raw === undefined || raw === null) return { ok: true, value: undefined }
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, message: 'endpoints must be a map of listener name to URL' }
  const entries = Object.entries(raw as Record<string, unknown>)
  if (entries.length > REGISTERED_ENDPOINTS_MAX) return { ok: false, message: `at most ${REGISTERED_ENDPOINTS_MAX} endpoints` }
  for (const [name, url] of entries) {
    if (typeof url !== 'string' || url.length > ENDPOINT_CHARS_MAX || name.length > ENDPOINT_CHARS_MAX) return { ok: false, message: `endpoint '${name.slice(0, 40)}' must be a URL string` }
  }
  return { ok: true, value: entries.length ? (Object.fromEntries(entries) as Record<string, string>) : undefined }
}
