"""confluent-kafka (librdkafka) AdminClient, producer and consumer group against
Tributary's Kafka listener: topics, partitions, configs and groups.
Prints one JSON object with what each step saw."""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

brokers, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}


def eventually(read, want, timeout_s=15):
    """Metadata reaches each broker a moment after the controller answers (as in Kafka): ask until it shows."""
    deadline = time.time() + timeout_s
    value = read()
    while value != want and time.time() < deadline:
        time.sleep(0.1)
        value = read()
    return value


admin = AdminClient({'bootstrap.servers': brokers})
admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=3, config={'retention.ms': '3600000'})])[topic].result(30)
admin.create_partitions([NewPartitions(topic, 3)])[topic].result(30)
out['partitions'] = eventually(lambda: len(admin.list_topics(topic, timeout=10).topics[topic].partitions), 3)
res = ConfigResource(ConfigResource.Type.TOPIC, topic)
configs = admin.describe_configs([res])[res].result(30)
out['retention'] = configs['retention.ms'].value

producer = Producer({'bootstrap.servers': brokers, 'acks': 'all', 'enable.idempotence': True, 'compression.type': 'zstd'})
for i in range(30):
    producer.produce(topic, key=b'k%d' % i, value=b'c-%d' % i)
out['unflushed'] = producer.flush(30)

consumer = Consumer({'bootstrap.servers': brokers, 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
consumer.subscribe([topic])
values = set()
for _ in range(200):
    m = consumer.poll(0.5)
    if m is not None and m.error() is None:
        values.add(m.value().decode())
    if len(values) >= 30:
        break
consumer.commit(asynchronous=False)
committed = consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
out['committed'] = sum(tp.offset for tp in committed)
out['values'] = len(values)
out['groups'] = [g.id for g in admin.list_groups(timeout=10)]
consumer.close()
admin.delete_topics([topic])[topic].result(30)
out['deleted'] = eventually(lambda: topic not in admin.list_topics(timeout=10).topics, True)
print(json.dumps(out))
