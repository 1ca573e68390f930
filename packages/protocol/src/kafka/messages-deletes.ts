/**
 * DeleteRecords (21) and OffsetDelete (47) in our Kafka schema table, from
 * apache/kafka's message JSON files. DeleteRecords v2 is its first flexible
 * version; OffsetDelete is served at v0 (v1 only changes the header, KIP-1313).
 */
import { array, field as f, message } from './schema.js'

export const DeleteRecordsRequest = message('DeleteRecordsRequest', 21, '0-2', '2+', [
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('Partitions', array([f('PartitionIndex', 'int32', '0+'), f('Offset', 'int64', '0+')]), '0+'),
  ]), '0+'),
  f('TimeoutMs', 'int32', '0+'),
])
export const DeleteRecordsResponse = message('DeleteRecordsResponse', 21, '0-2', '2+', [
  f('ThrottleTimeMs', 'int32', '0+'),
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('Partitions', array([f('PartitionIndex', 'int32', '0+'), f('LowWatermark', 'int64', '0+'), f('ErrorCode', 'int16', '0+')]), '0+'),
  ]), '0+'),
])

export const OffsetDeleteRequest = message('OffsetDeleteRequest', 47, '0', 'none', [
  f('GroupId', 'string', '0+'),
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('Partitions', array([f('PartitionIndex', 'int32', '0+')]), '0+'),
  ]), '0+'),
])
export const OffsetDeleteResponse = message('OffsetDeleteResponse', 47, '0', 'none', [
  f('ErrorCode', 'int16', '0+'),
  f('ThrottleTimeMs', 'int32', '0+'),
  f('Topics', array([
    f('Name', 'string', '0+'),
    f('Partitions', array([f('PartitionIndex', 'int32', '0+'), f('ErrorCode', 'int16', '0+')]), '0+'),
  ]), '0+'),
])
