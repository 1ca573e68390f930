"""Produces to a topic until stdin closes, printing one JSON line per outcome:
{"acked": [partition, offset, value]} for a write acknowledged with acks=all,
{"failed": value} for one whose send failed (it may or may not be stored).
Then prints {"done": true}. The client is confluent-kafka (librdkafka, idempotent)
or kafka-python (no idempotence there: retries=0, so a failed send is never
retried into a duplicate). Used by python-faults.test.ts under kill -9."""
import json
import sys
import threading

client, brokers, topic = sys.argv[1], sys.argv[2], sys.argv[3]
stop = threading.Event()
lock = threading.Lock()


def emit(obj):
    with lock:
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()


def watch_stdin():
    sys.stdin.read()
    stop.set()


threading.Thread(target=watch_stdin, daemon=True).start()


def run_confluent():
    from confluent_kafka import Producer

    def report(err, msg):
        value = msg.value().decode()
        if err is None:
            emit({'acked': [msg.partition(), msg.offset(), value]})
        else:
            emit({'failed': value})

    p = Producer({'bootstrap.servers': brokers, 'acks': 'all', 'enable.idempotence': True, 'linger.ms': 5,
                  'message.timeout.ms': 60000, 'topic.metadata.refresh.interval.ms': 1000})
    n = 0
    while not stop.is_set():
        value = 'rdkafka-%d' % n
        n += 1
        try:
            p.produce(topic, key=value.encode(), value=value.encode(), on_delivery=report)
        except BufferError:
            p.poll(0.1)
            emit({'failed': value})
            continue
        p.poll(0)
        if n % 50 == 0:
            p.poll(0.02)  # paces production so the run is not one huge queue
    p.flush(90)


def run_kafka_python():
    from kafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=brokers.split(','), acks='all', retries=0, linger_ms=5,
                      request_timeout_ms=10000, metadata_max_age_ms=1000, max_block_ms=10000)
    n = 0
    pending = []
    while not stop.is_set():
        value = 'kafka-python-%d' % n
        n += 1
        try:
            pending.append((value, p.send(topic, key=value.encode(), value=value.encode())))
        except Exception:  # noqa: BLE001 - any send failure leaves the value indeterminate
            emit({'failed': value})
        if len(pending) >= 20:
            settle(pending)
            pending = []
    settle(pending)
    p.close(30)


def settle(pending):
    for value, future in pending:
        try:
            md = future.get(timeout=30)
            emit({'acked': [md.partition, md.offset, value]})
        except Exception:  # noqa: BLE001
            emit({'failed': value})


run_confluent() if client == 'confluent' else run_kafka_python()
emit({'done': True})
