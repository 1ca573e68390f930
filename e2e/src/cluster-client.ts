/**
 * The set-up most e2e files share: a test cluster and an SDK client on it,
 * started before the file's tests and stopped after them.
 */
import { Tributary } from '@tributary/client'
import { startCluster, type ClusterOptions, type TestCluster } from './cluster.js'

export interface ClusterAndClient { cluster: TestCluster; client: Tributary }

/** An SDK client on a test cluster. */
export const sdkClient = (cluster: TestCluster, clientId: string): Tributary => new Tributary({ brokers: cluster.bootstrap, clientId })

/** A started cluster and an SDK client on it. */
export async function startClusterAndClient(opts: ClusterOptions, clientId: string): Promise<ClusterAndClient> {
  const cluster = await startCluster(opts)
  return { cluster, client: sdkClient(cluster, clientId) }
}

/** Closes the client, then stops the cluster; either is missing when the set-up failed. */
export async function stopClusterAndClient(client: Tributary | undefined, cluster: TestCluster | undefined): Promise<void> {
  await client?.close()
  await cluster?.stop()
}
