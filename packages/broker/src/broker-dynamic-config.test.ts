/**
 * Dynamic broker configs: the Config record of a BROKER resource in the image
 * and its snapshots, the controller's plan for AlterConfigs on one, and which
 * setting a broker ends up applying.
 */
import { describe, expect, test } from '@jest/globals'
import { ErrorCode, packValue } from '@tributary/protocol'
import { CLUSTER_DEFAULT, FOLLOWER_THROTTLED_RATE, LEADER_THROTTLED_RATE, throttleRates } from './broker-dynamic-config.js'
import { planAlterConfigs } from './controller/topic-ops.js'
import { applyRecords } from './metadata/metadata-delta.js'
import { decodeImage, diffImages, emptyImage, encodeImage, imageToPlain } from './metadata/metadata-image.js'
import type { MetadataImage } from './metadata/image-types.js'
import type { ConfigRecord, MetadataRecord } from './metadata/records.js'

const brokerConfig = (name: string, key: string, value: string | null): ConfigRecord => ({ type: 'Config', version: 0, resourceType: 'broker', name, key, value })
const imageOf = (entries: MetadataRecord[][]): MetadataImage => entries.reduce((image, rs, i) => applyRecords(image, rs, i + 1).image, emptyImage())

describe('the image', () => {
  test('a broker Config record sets and removes a setting of its resource, and says so in the delta', () => {
    const set = applyRecords(emptyImage(), [brokerConfig('2', FOLLOWER_THROTTLED_RATE, '1000'), brokerConfig(CLUSTER_DEFAULT, LEADER_THROTTLED_RATE, '5')], 1)
    expect(set.image.brokerConfigs.get('2')).toEqual({ [FOLLOWER_THROTTLED_RATE]: '1000' })
    expect(set.image.brokerConfigs.get(CLUSTER_DEFAULT)).toEqual({ [LEADER_THROTTLED_RATE]: '5' })
    expect(set.delta.changes).toEqual([{ type: 'broker-config', name: '2' }, { type: 'broker-config', name: CLUSTER_DEFAULT }])
    const removed = applyRecords(set.image, [brokerConfig('2', FOLLOWER_THROTTLED_RATE, null)], 2)
    expect(removed.image.brokerConfigs.has('2')).toBe(false) // a resource left with nothing is dropped
    expect(set.image.brokerConfigs.get('2')).toEqual({ [FOLLOWER_THROTTLED_RATE]: '1000' }) // the published image is untouched
  })

  test('a snapshot keeps the settings; a snapshot written before they existed loads with none', () => {
    const image = imageOf([[brokerConfig('1', FOLLOWER_THROTTLED_RATE, '7'), brokerConfig(CLUSTER_DEFAULT, LEADER_THROTTLED_RATE, '9')]])
    const back = decodeImage(encodeImage(image))
    expect(back.ok && back.value.brokerConfigs).toEqual(image.brokerConfigs)
    expect(back.ok && imageToPlain(back.value)).toEqual(imageToPlain(image))
    // an older snapshot: no brokerConfigs field at all
    const { brokerConfigs: _none, ...older } = imageToPlain(imageOf([[{ type: 'ClusterId', version: 0, clusterId: 'c' }]]))
    expect('brokerConfigs' in imageToPlain(emptyImage())).toBe(false) // nothing set: written as before
    const loaded = decodeImage(packValue(older))
    expect(loaded.ok && loaded.value.brokerConfigs.size).toBe(0)
    expect(loaded.ok && loaded.value.clusterId).toBe('c')
  })

  test('replacing the image by a snapshot reports each resource whose settings differ', () => {
    const before = imageOf([[brokerConfig('1', FOLLOWER_THROTTLED_RATE, '7'), brokerConfig('3', FOLLOWER_THROTTLED_RATE, '7')]])
    const after = imageOf([[brokerConfig('1', FOLLOWER_THROTTLED_RATE, '8'), brokerConfig('3', FOLLOWER_THROTTLED_RATE, '7'), brokerConfig(CLUSTER_DEFAULT, LEADER_THROTTLED_RATE, '1')]])
    expect(diffImages(before, after).changes).toEqual([{ type: 'broker-config', name: '1' }, { type: 'broker-config', name: CLUSTER_DEFAULT }])
  })
})

describe('which rate a broker applies', () => {
  test('its own setting, else the cluster default, else its flag (follower) or none (leader)', () => {
    const none = emptyImage()
    expect(throttleRates(none, 1, 300)).toEqual({ leaderBytesPerSec: 0, followerBytesPerSec: 300 })
    const all = imageOf([[brokerConfig(CLUSTER_DEFAULT, FOLLOWER_THROTTLED_RATE, '50'), brokerConfig(CLUSTER_DEFAULT, LEADER_THROTTLED_RATE, '60')]])
    expect(throttleRates(all, 1, 300)).toEqual({ leaderBytesPerSec: 60, followerBytesPerSec: 50 })
    const own = applyRecords(all, [brokerConfig('1', FOLLOWER_THROTTLED_RATE, '0'), brokerConfig('1', LEADER_THROTTLED_RATE, '70')], 9).image
    expect(throttleRates(own, 1, 300)).toEqual({ leaderBytesPerSec: 70, followerBytesPerSec: 0 }) // 0 = unthrottled, overriding the flag
    expect(throttleRates(own, 2, 300)).toEqual({ leaderBytesPerSec: 60, followerBytesPerSec: 50 })
    // Kafka's "no throttle" (Long.MAX_VALUE) is no throttle here too
    const kafkaMax = imageOf([[brokerConfig('1', FOLLOWER_THROTTLED_RATE, '9223372036854775807')]])
    expect(throttleRates(kafkaMax, 1, 300).followerBytesPerSec).toBe(0)
  })
})

describe('AlterConfigs on a broker resource', () => {
  const alter = (image: MetadataImage, name: string, configs: Array<{ name: string; op: 'set' | 'delete'; value?: string | null }>) =>
    planAlterConfigs(image, [{ type: 'broker', name, configs }])

  test('sets a broker\'s or every broker\'s rate', () => {
    const one = alter(emptyImage(), '2', [{ name: FOLLOWER_THROTTLED_RATE, op: 'set', value: '50000000' }])
    expect(one.response.resources).toEqual([{ type: 'broker', name: '2', errorCode: ErrorCode.NONE, errorMessage: null }])
    expect(one.records).toEqual([brokerConfig('2', FOLLOWER_THROTTLED_RATE, '50000000')])
    expect(alter(emptyImage(), CLUSTER_DEFAULT, [{ name: LEADER_THROTTLED_RATE, op: 'set', value: '1' }]).records).toEqual([brokerConfig(CLUSTER_DEFAULT, LEADER_THROTTLED_RATE, '1')])
  })

  test('deleting a setting that is set writes a removal; one that is not writes nothing', () => {
    const image = imageOf([[brokerConfig('2', FOLLOWER_THROTTLED_RATE, '5')]])
    const plan = alter(image, '2', [{ name: FOLLOWER_THROTTLED_RATE, op: 'delete' }, { name: LEADER_THROTTLED_RATE, op: 'delete' }])
    expect(plan.response.resources[0]!.errorCode).toBe(ErrorCode.NONE)
    expect(plan.records).toEqual([brokerConfig('2', FOLLOWER_THROTTLED_RATE, null)])
  })

  test('an unknown or static name, a bad value or a bad resource is INVALID_CONFIG and writes nothing', () => {
    const cases: Array<[string, Array<{ name: string; op: 'set' | 'delete'; value?: string | null }>, RegExp]> = [
      ['2', [{ name: 'no.such.config', op: 'set', value: '1' }], /'no.such.config' is not a dynamic broker config/],
      ['2', [{ name: 'node-id', op: 'set', value: '3' }], /read-only/],
      ['2', [{ name: 'no.such.config', op: 'delete' }], /not a dynamic broker config/],
      ['2', [{ name: FOLLOWER_THROTTLED_RATE, op: 'set', value: '50MB' }], /'50MB' is not a rate in bytes\/s/],
      ['2', [{ name: FOLLOWER_THROTTLED_RATE, op: 'set', value: '-1' }], /not a rate/],
      // one bad change refuses the resource's good ones too
      ['2', [{ name: LEADER_THROTTLED_RATE, op: 'set', value: '5' }, { name: FOLLOWER_THROTTLED_RATE, op: 'set', value: 'x' }], /not a rate/],
      ['broker-2', [{ name: FOLLOWER_THROTTLED_RATE, op: 'set', value: '5' }], /must be a broker id or ''/],
      ['0', [{ name: FOLLOWER_THROTTLED_RATE, op: 'set', value: '5' }], /must be a broker id/],
    ]
    for (const [name, configs, message] of cases) {
      const plan = alter(emptyImage(), name, configs)
      expect(plan.records).toEqual([])
      expect(plan.response.resources[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringMatching(message) })
    }
  })

  test('a broker resource beside a topic resource: each is answered on its own', () => {
    const plan = planAlterConfigs(emptyImage(), [
      { type: 'topic', name: 'missing', configs: [{ name: 'retention.ms', op: 'set', value: '1' }] },
      { type: 'broker', name: '1', configs: [{ name: FOLLOWER_THROTTLED_RATE, op: 'set', value: '1' }] },
    ])
    expect(plan.response.resources.map((a) => a.errorCode)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NONE])
    expect(plan.records).toEqual([brokerConfig('1', FOLLOWER_THROTTLED_RATE, '1')])
  })
})
