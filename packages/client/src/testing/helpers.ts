import { Tributary } from '../tributary.js'
import type { ClientConfig } from '../cluster.js'
import { FakeCluster, fakeUrl } from './fake-cluster.js'

export function fakeClient(fake: FakeCluster, config: Partial<ClientConfig> = {}): Tributary {
  return new Tributary({
    brokers: [fakeUrl(1)],
    clientId: 'test',
    connector: fake.connector,
    retry: { retries: 8, initialRetryTimeMs: 5, maxRetryTimeMs: 50 },
    reconnectBackoffMs: 5,
    reconnectBackoffMaxMs: 50,
    ...config,
  })
}

/** Poll cond until true or the deadline passes (then throw with `what`); the default deadline leaves room for a loaded CI machine. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b))
