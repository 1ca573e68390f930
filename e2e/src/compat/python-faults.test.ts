/**
 * The Python clients under one fault (issue #18): confluent-kafka (librdkafka,
 * idempotent) and kafka-python (retries=0) produce with acks=all through the
 * Kafka listeners while the leader of partition 0 is killed with SIGKILL
 * (../kafka-fault-run.ts); the checker must find nothing lost, duplicated or
 * inconsistent in what each client was told. KafkaJS faces the same fault in
 * ../kafka-faults.test.ts. A client that is not installed is reported and skipped.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { AckedWrite } from '../checker.js'
import { freePort, startCluster, type TestCluster } from '../cluster.js'
import { createFaultTopic, killLeaderDuringProduction, type ClientRun } from '../kafka-fault-run.js'
import { interpreterWith, SCRIPTS } from './python-run.js'

const SCRIPT = path.join(SCRIPTS, 'fault_producer.py')

const CLIENTS = [
  { name: 'confluent-kafka (librdkafka)', arg: 'confluent', python: interpreterWith('confluent_kafka'), pkg: 'python3-confluent-kafka' },
  { name: 'kafka-python', arg: 'kafka-python', python: interpreterWith('kafka'), pkg: 'python3-kafka' },
]
for (const c of CLIENTS) if (!c.python) console.warn(`${c.name} fault test SKIPPED: no python3 with it (Debian: apt-get install -y ${c.pkg})`)
/** The script's settle time after stdin closes: its last sends time out within this. */
const STOP_TIMEOUT_MS = 120_000

let cluster: TestCluster
let brokers: string

beforeAll(async () => {
  if (CLIENTS.every((c) => !c.python)) return
  const ports: number[] = []
  while (ports.length < 3) {
    const p = await freePort()
    if (!ports.includes(p)) ports.push(p)
  }
  brokers = ports.map((p) => `127.0.0.1:${p}`).join(',')
  cluster = await startCluster({ nodes: 3, logLevel: 'warn', brokerArgs: (id) => ['--kafka-listen', `127.0.0.1:${ports[id - 1]}`] })
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
}, 30_000)

/** The script as a ClientRun: its JSON lines are the outcomes; closing its stdin stops it, and it flushes before exiting. */
function scriptRun(python: string, client: string, topic: string): ClientRun {
  const child = spawn(python, [SCRIPT, client, brokers, topic], { stdio: ['pipe', 'pipe', 'pipe'] })
  const acked: AckedWrite[] = []
  const indeterminate: string[] = []
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const o = JSON.parse(line)
    if (o.acked) acked.push({ partition: o.acked[0], offset: o.acked[1], value: o.acked[2] })
    else if (o.failed) indeterminate.push(o.failed)
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  let stopped: Promise<void> | null = null
  return {
    acked: () => acked,
    indeterminate: () => indeterminate,
    stop: () => (stopped ??= (async () => {
      child.stdin!.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
      const code = await exited
      clearTimeout(timer)
      if (code !== 0) throw new Error(`${client} producer exited ${code}: ${stderr}`)
    })()),
  }
}

for (const c of CLIENTS) {
  const maybe = c.python ? test : test.skip
  maybe(`${c.name}, acks=all, kill -9 of a partition leader: nothing lost, duplicated or inconsistent`, async () => {
    const topic = `fault-${c.arg}`
    await createFaultTopic(cluster, topic)
    const outcome = await killLeaderDuringProduction(cluster, topic, scriptRun(c.python!, c.arg, topic))
    console.log(`${c.name} under kill -9 of node ${outcome.killed}:\n${outcome.summary}`)
    const { lost, duplicated, inconsistent, ackedAtWrongOffset, unknownValues, divergentReplicas } = outcome.result
    expect({ lost, duplicated, inconsistent, ackedAtWrongOffset, unknownValues, divergentReplicas }).toEqual({ lost: [], duplicated: [], inconsistent: [], ackedAtWrongOffset: [], unknownValues: [], divergentReplicas: [] })
    expect(outcome.result.valid).toBe(true)
  }, 400_000)
}
