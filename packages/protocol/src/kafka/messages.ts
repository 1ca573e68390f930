/**
 * Our Kafka schema table: the fields and versions we serve of each API, one
 * JSON file per API in `schema/` written from apache/kafka's
 * clients/src/main/resources/common/message/*.json (only the versions
 * advertised in ApiVersions; schema/README.md says which and why). The build
 * carries the files into `schema-table.generated.ts`; `codec.ts` interprets
 * them; nothing encodes a message by hand.
 */
import { fromSchemaFile, type MessageSpec } from './schema.js'
import { SCHEMA_FILES } from './schema-table.generated.js'

const SPECS: ReadonlyMap<string, MessageSpec> = new Map(SCHEMA_FILES.flatMap(fromSchemaFile).map((m) => [m.name, m]))

function spec(name: string): MessageSpec {
  const found = SPECS.get(name)
  if (!found) throw new Error(`the Kafka schema table has no ${name}`)
  return found
}

export const RequestHeader = spec('RequestHeader')
export const ResponseHeader = spec('ResponseHeader')
/** The consumer protocol's payloads (protocol type "consumer"), read by `consumer-protocol.ts`. */
export const ConsumerProtocolSubscription = spec('ConsumerProtocolSubscription')
export const ConsumerProtocolAssignment = spec('ConsumerProtocolAssignment')

export interface KafkaApi { apiKey: number; name: string; request: MessageSpec; response: MessageSpec }

/** Every API the Kafka listener serves, by key (ascending, as ApiVersions lists them); its versions are what ApiVersions advertises. */
export const KAFKA_APIS: ReadonlyMap<number, KafkaApi> = new Map(
  SCHEMA_FILES.filter((f) => f.apiKey !== undefined)
    .map((f): KafkaApi => ({ apiKey: f.apiKey!, name: f.name, request: spec(`${f.name}Request`), response: spec(`${f.name}Response`) }))
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((a) => [a.apiKey, a]),
)

export const KafkaApiKey = {
  Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10,
  JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14, DescribeGroups: 15, ListGroups: 16,
  SaslHandshake: 17, ApiVersions: 18, CreateTopics: 19, DeleteTopics: 20, DeleteRecords: 21, InitProducerId: 22, OffsetForLeaderEpoch: 23,
  DescribeAcls: 29, CreateAcls: 30, DeleteAcls: 31,
  DescribeConfigs: 32, AlterConfigs: 33, SaslAuthenticate: 36, CreatePartitions: 37, DeleteGroups: 42, IncrementalAlterConfigs: 44, OffsetDelete: 47,
  DescribeUserScramCredentials: 50, AlterUserScramCredentials: 51, DescribeQuorum: 55, DescribeCluster: 60, DescribeProducers: 61,
} as const
