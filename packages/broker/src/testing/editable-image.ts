/**
 * An image a test harness edits in place and announces change by change
 * (replication/sim-cluster.ts, group/testing.ts), where building records for
 * every step would hide what the test is about. Nodes never do this: they
 * publish a new image per entry (metadata/metadata-delta.ts).
 */
import type { BrokerRegistration, MetadataImage, TopicState } from '../metadata/image-types.js'
import { emptyImage } from '../metadata/metadata-image.js'

export interface EditableImage extends MetadataImage {
  offset: number
  brokers: Map<number, BrokerRegistration>
  topicsByName: Map<string, TopicState>
  topicsById: Map<string, TopicState>
  brokerConfigs: Map<string, Readonly<Record<string, string>>>
}

export function editableImage(clusterId: string): EditableImage {
  return { ...emptyImage(), clusterId, brokers: new Map(), topicsByName: new Map(), topicsById: new Map(), brokerConfigs: new Map() }
}
