"""kafka-python (pure Python, its own group coordinator code) against Tributary's
Kafka listener: a producer with acks=all, then a group of two consumers with the
given assignor reading every record once between them and committing.
Prints one JSON object: what each member was assigned and read."""
import json
import sys
import threading
import time

from kafka import KafkaConsumer, KafkaProducer
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

brokers, topic, group, assignor, count = sys.argv[1].split(','), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
strategy = {'range': RangePartitionAssignor, 'roundrobin': RoundRobinPartitionAssignor}[assignor]

# retries: a topic just created may answer LEADER_NOT_AVAILABLE for a moment (kafka-python's default is 0).
producer = KafkaProducer(bootstrap_servers=brokers, acks='all', retries=10, retry_backoff_ms=200)
for i in range(count):
    producer.send(topic, key=b'k%d' % i, value=b'%s-%d' % (assignor.encode(), i)).get(timeout=30)
producer.close()

members = [KafkaConsumer(topic, bootstrap_servers=brokers, group_id=group, auto_offset_reset='earliest',
                         enable_auto_commit=False, partition_assignment_strategy=[strategy],
                         session_timeout_ms=10000, heartbeat_interval_ms=500, max_poll_interval_ms=30000)
           for _ in range(2)]
seen = [dict(), dict()]
stop = threading.Event()


def run(i):
    # Each member polls in its own thread: a JoinGroup waits for every member, as in Kafka.
    m = members[i]
    while not stop.is_set():
        for batch in m.poll(timeout_ms=200).values():
            for r in batch:
                seen[i][r.value.decode()] = r.partition
        m.commit()


threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
for t in threads:
    t.start()
deadline = time.time() + 60
while time.time() < deadline:
    both = all(len(m.assignment()) > 0 for m in members)
    if both and len(set(seen[0]) | set(seen[1])) >= count:
        break
    time.sleep(0.1)
stop.set()
for t in threads:
    t.join()
assigned = [sorted(tp.partition for tp in m.assignment()) for m in members]
for m in members:
    m.commit()
    m.close()
print(json.dumps({'assigned': assigned, 'values': sorted(set(seen[0]) | set(seen[1]))}))
