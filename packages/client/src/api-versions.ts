/**
 * ApiVersions negotiation, as Kafka clients do it: for each API, the version a
 * request goes out with is the highest one both this client (the protocol
 * package's API table) and the broker (its ApiVersions answer) support. An API
 * with no common version fails its requests with UNSUPPORTED_VERSION, which is
 * not retriable: asking again, or another broker of the same build, cannot help.
 */
import { API_VERSIONS, ErrorCode, TributaryError, apiName, type ApiVersionsResponse } from '@tributary/protocol'

/** [minVersion, maxVersion], inclusive. */
export type VersionRange = readonly [number, number]

/** The highest version in both ranges, or undefined when they do not overlap. */
export function commonVersion(client: VersionRange, broker: VersionRange): number | undefined {
  const high = Math.min(client[1], broker[1])
  return high >= Math.max(client[0], broker[0]) ? high : undefined
}

/** What one connection may send: per API the negotiated version, or why there is none. */
export class ApiVersionTable {
  private readonly versions = new Map<number, number>()
  private readonly brokerRanges = new Map<number, VersionRange>()

  constructor(
    broker: ApiVersionsResponse['apiKeys'],
    private readonly client: Readonly<Record<number, VersionRange>> = API_VERSIONS,
  ) {
    for (const a of broker) {
      const range: VersionRange = [a.minVersion, a.maxVersion]
      this.brokerRanges.set(a.apiKey, range)
      const mine = client[a.apiKey]
      const v = mine === undefined ? undefined : commonVersion(mine, range)
      if (v !== undefined) this.versions.set(a.apiKey, v)
    }
  }

  /** The version to send apiKey with; throws UNSUPPORTED_VERSION (not retriable) when there is none. */
  versionFor(apiKey: number, url: string): number {
    const v = this.versions.get(apiKey)
    if (v !== undefined) return v
    const mine = this.client[apiKey]
    const theirs = this.brokerRanges.get(apiKey)
    const show = (r: VersionRange | undefined): string => (r ? `v${r[0]}-v${r[1]}` : 'none')
    throw new TributaryError(
      ErrorCode.UNSUPPORTED_VERSION,
      `broker ${url} and this client share no version of ${apiName(apiKey)} (api ${apiKey}): client supports ${show(mine)}, broker ${show(theirs)}`,
    )
  }
}
