/**
 * The addresses in a broker's configuration: ws:// URLs, Kafka's host:port, the
 * --voters list and named listeners (--listeners / --advertised-listeners), each
 * parsed into a value or an INVALID_CONFIG error naming what is wrong.
 */
import { ErrorCode, fail, ok, type Result } from '@tributary/protocol'

export interface Voter {
  nodeId: number
  endpoint: string
}

/** A named client listener (Kafka's `listeners` / `advertised.listeners`): its own port, its own advertised address. */
export interface NamedListener {
  name: string
  /** ws://host:port to bind */
  listen: string
  /** ws://host:port clients that connected to this listener are told (default: listen) */
  advertise: string
}

/** A `name=ws://host:port` pair of --listeners / --advertised-listeners. */
export interface NamedEndpoint {
  name: string
  endpoint: string
}

/** ws://host:port, returns the normalised URL string or an error message. */
export function parseWsUrl(value: string): Result<string> {
  let u: URL
  try {
    u = new URL(value)
  } catch {
    return fail(ErrorCode.INVALID_CONFIG, `'${value}' is not a URL (want ws://host:port)`)
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') return fail(ErrorCode.INVALID_CONFIG, `'${value}' must start with ws:// or wss://`)
  if (!u.port) return fail(ErrorCode.INVALID_CONFIG, `'${value}' needs an explicit port`)
  return ok(`${u.protocol}//${u.host}`)
}

/** Kafka's host:port ([v6]:port for IPv6), port 0 allowed (the OS picks). */
export function parseHostPort(value: string): Result<string> {
  const m = /^(?:\[([^\]]+)\]|([^:/[\]]+)):(\d{1,5})$/.exec(value)
  if (!m || Number(m[3]) > 65535) return fail(ErrorCode.INVALID_CONFIG, `'${value}' is not host:port`)
  return ok(value)
}

/** `1@ws://h1:9092,2@ws://h2:9092` → voters, ids unique and positive. */
export function parseVoters(value: string): Result<Voter[]> {
  const voters: Voter[] = []
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = part.indexOf('@')
    if (at <= 0) return fail(ErrorCode.INVALID_CONFIG, `'${part}' is not id@ws://host:port`)
    const id = Number(part.slice(0, at))
    if (!Number.isSafeInteger(id) || id < 1) return fail(ErrorCode.INVALID_CONFIG, `'${part.slice(0, at)}' is not a positive node id`)
    const url = parseWsUrl(part.slice(at + 1))
    if (!url.ok) return url
    if (voters.some((v) => v.nodeId === id)) return fail(ErrorCode.INVALID_CONFIG, `node id ${id} is listed twice`)
    voters.push({ nodeId: id, endpoint: url.value })
  }
  if (voters.length === 0) return fail(ErrorCode.INVALID_CONFIG, 'at least one voter is required')
  return ok(voters)
}

/** Listener names: what Kafka allows in listener names, and never the primary's. */
const LISTENER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/
/** Named listeners a node may have, besides --listen. */
export const NAMED_LISTENERS_MAX = 8

/** `external=ws://0.0.0.0:19092,other=ws://...` → named endpoints, names unique. */
export function parseNamedUrls(value: string): Result<NamedEndpoint[]> {
  const out: NamedEndpoint[] = []
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=')
    if (eq <= 0) return fail(ErrorCode.INVALID_CONFIG, `'${part}' is not name=ws://host:port`)
    const name = part.slice(0, eq)
    if (!LISTENER_NAME.test(name)) return fail(ErrorCode.INVALID_CONFIG, `'${name}' is not a listener name (a letter, then letters, digits, _ or -)`)
    if (out.some((l) => l.name === name)) return fail(ErrorCode.INVALID_CONFIG, `listener '${name}' is listed twice`)
    const url = parseWsUrl(part.slice(eq + 1))
    if (!url.ok) return url
    out.push({ name, endpoint: url.value })
  }
  if (out.length > NAMED_LISTENERS_MAX) return fail(ErrorCode.INVALID_CONFIG, `at most ${NAMED_LISTENERS_MAX} named listeners`)
  return ok(out)
}

/** Host and port to bind from a ws:// listen URL. */
export function listenAddress(listen: string): { host: string; port: number } {
  const u = new URL(listen)
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) }
}
