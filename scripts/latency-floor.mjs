#!/usr/bin/env node
/**
 * The floor under the end-to-end latency figures (issue #10): the same pipeline as
 * `tributary bench cluster --scenario latency`, built from nothing but the stack
 * Tributary runs on (Node, ws, msgpackr, classic-level), with none of Tributary's
 * code. Whatever this reaches on a machine, Tributary cannot beat there.
 *
 * Three broker processes each lead one partition and follow the other two. As in
 * Kafka, followers pull: a fetch at the log end parks until the leader appends, the
 * follower writes what it got and fetches again, and that next fetch tells the
 * leader how far the follower has it. The leader hands a produce to its followers
 * at once and writes it meanwhile (as Tributary's leader does). The high watermark
 * is the lowest of the three stored log ends; a produce is acknowledged and a
 * parked consumer fetch is answered when it passes. One client process produces at --rate records/s of 100 bytes over the
 * three partitions (one produce in flight per partition, later records gathered into
 * the next one) and consumes them. Latency = consumer receipt - send time.
 *
 * Left out, so the floor stays a floor: CRCs, record encoding, idempotence, epochs,
 * ISR changes, metadata, retention, grouping writes of several partitions. Each
 * append is one LevelDB put (not synced, as Tributary's are not).
 *
 *   node scripts/latency-floor.mjs [--rate 10000] [--seconds 10] [--warmup 2] [--no-storage] [--json]
 *
 * --no-storage acknowledges appends without writing them: the messaging alone.
 * Brokers listen on ports the OS picks on 127.0.0.1; data goes to a temp directory
 * that is removed at the end.
 */
import { Buffer } from 'node:buffer'
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { clearTimeout, setTimeout } from 'node:timers'
import { parseArgs } from 'node:util'

const require = createRequire(import.meta.url)
const { WebSocketServer, WebSocket } = require('ws')
const { Packr } = require('msgpackr')
const { ClassicLevel } = require('classic-level')

const VALUE_BYTES = 100
const NODES = 3
/** How long the client waits for the last records after it sent them. */
const DRAIN_MS = 10_000

const packr = new Packr({ useRecords: false })
const encode = (o) => packr.pack(o)
const decode = (b) => packr.unpack(b)

const role = process.argv[2]
if (role === '--broker') broker(Number(process.argv[3]), process.argv[4], process.argv[5] === 'nostorage')
else if (role === '--client') void client(JSON.parse(process.argv[3]))
else await main()

async function main() {
  let values
  try {
    ;({ values } = parseArgs({
      options: {
        rate: { type: 'string', default: '10000' },
        seconds: { type: 'string', default: '10' },
        warmup: { type: 'string', default: '2' },
        'no-storage': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    }))
  } catch (err) {
    console.error(err.message)
    process.exit(2)
  }
  const opts = {}
  for (const k of ['rate', 'seconds', 'warmup']) {
    const v = Number(values[k])
    if (!Number.isFinite(v) || v < 0 || (k !== 'warmup' && v === 0)) {
      console.error(`--${k} must be a ${k === 'warmup' ? 'non-negative' : 'positive'} number, not ${values[k]}`)
      process.exit(2)
    }
    opts[k] = v
  }
  const dir = mkdtempSync(join(tmpdir(), 'tributary-floor-'))
  const kids = []
  const stopAll = () => { for (const k of kids) k.kill('SIGKILL') }
  process.on('exit', () => { stopAll(); rmSync(dir, { recursive: true, force: true }) })
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))
  try {
    const brokers = Array.from({ length: NODES }, (_, i) => fork(import.meta.filename, ['--broker', String(i), dir, values['no-storage'] ? 'nostorage' : 'storage']))
    kids.push(...brokers)
    const ports = await Promise.all(brokers.map((k) => nextMessage(k)))
    for (const k of brokers) k.send({ ports })
    await Promise.all(brokers.map((k) => nextMessage(k)))
    const c = fork(import.meta.filename, ['--client', JSON.stringify({ ...opts, ports })])
    kids.push(c)
    const result = { storage: !values['no-storage'], ...(await nextMessage(c)) }
    if (values.json) console.log(JSON.stringify(result))
    else {
      console.log(`latency floor (ws + msgpackr + ${result.storage ? 'classic-level puts' : 'no storage'}, RF 3, 3 partitions, ${opts.rate} rec/s for ${opts.seconds} s after ${opts.warmup} s warm-up)`)
      console.log(`  records ${result.received}/${result.sent}  p50 ${result.p50} ms  p99 ${result.p99} ms  p99.9 ${result.p999} ms  max ${result.max} ms`)
    }
    if (result.received !== result.sent) process.exitCode = 1
  } finally {
    stopAll()
  }
}

function nextMessage(child) {
  return new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`a floor process exited (${code}) before it answered`)))
  })
}

/** One broker: leads partition `me`, follows the others. */
function broker(me, dir, noStorage) {
  process.on('disconnect', () => process.exit(0))
  const db = noStorage ? null : new ClassicLevel(join(dir, `node-${me}`), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  const put = db === null ? () => Promise.resolve() : (partition, offset, bytes) => db.put(key(partition, offset), bytes)
  // end: offsets handed out; leo: stored here. Batches stay in memory until the followers and the consumer have them.
  const parts = Array.from({ length: NODES }, () => ({
    end: 0, leo: 0, hw: 0, consumed: 0, batches: [], followerEnds: new Map(), parkedFollowers: new Map(), parkedConsumers: [], acks: [],
  }))
  const trim = (st) => {
    const done = Math.min(st.hw, st.consumed)
    while (st.batches.length > 0 && st.batches[0].base + st.batches[0].n <= done) st.batches.shift()
  }

  const advance = (p) => {
    const st = parts[p]
    let hw = st.leo
    for (let id = 0; id < NODES; id++) if (id !== me) hw = Math.min(hw, st.followerEnds.get(id) ?? 0)
    if (hw <= st.hw) return
    st.hw = hw
    while (st.acks.length > 0 && st.acks[0].last < hw) {
      const a = st.acks.shift()
      a.ws.send(encode({ t: 'produced', p, id: a.id }))
    }
    for (const c of st.parkedConsumers.splice(0)) serveConsumer(c.ws, p, c.offset)
    trim(st)
  }
  const batchesFrom = (st, offset, below) => st.batches.filter((b) => b.base >= offset && b.base < below)
  const serveConsumer = (ws, p, offset) => {
    const st = parts[p]
    st.consumed = Math.max(st.consumed, offset)
    trim(st)
    if (st.hw <= offset) st.parkedConsumers.push({ ws, offset })
    else ws.send(encode({ t: 'records', p, data: batchesFrom(st, offset, st.hw).map((b) => b.data) }))
  }
  const serveFollower = (ws, from, p, offset) => {
    const st = parts[p]
    st.followerEnds.set(from, offset)
    advance(p)
    if (offset >= st.end) { st.parkedFollowers.set(from, { ws, offset }); return }
    const batches = batchesFrom(st, offset, st.end)
    ws.send(encode({ t: 'replica', p, n: batches.reduce((n, b) => n + b.n, 0), data: batches.map((b) => b.data) }))
  }
  const appendAsLeader = (ws, m) => {
    const st = parts[m.p]
    const base = st.end
    st.end += m.n
    st.batches.push({ base, n: m.n, data: m.data })
    st.acks.push({ ws, id: m.id, last: st.end - 1 })
    for (const [from, f] of [...st.parkedFollowers]) { st.parkedFollowers.delete(from); serveFollower(f.ws, from, m.p, f.offset) }
    // One produce in flight per partition: the previous one is stored, so puts complete in order.
    void put(m.p, base, m.data).then(() => {
      st.leo = base + m.n
      advance(m.p)
    })
  }

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  wss.on('connection', (ws) => ws.on('message', (frame) => {
    const m = decode(frame)
    if (m.t === 'produce') appendAsLeader(ws, m)
    else if (m.t === 'fetch') serveFollower(ws, m.from, m.p, m.offset)
    else if (m.t === 'consume') serveConsumer(ws, m.p, m.offset)
  }))
  wss.on('listening', () => process.send(wss.address().port))
  process.once('message', ({ ports }) => {
    let open = 0
    for (let p = 0; p < NODES; p++) {
      if (p === me) continue
      const st = parts[p]
      const ws = new WebSocket(`ws://127.0.0.1:${ports[p]}`, { perMessageDeflate: false })
      ws.on('open', () => {
        ws.send(encode({ t: 'fetch', from: me, p, offset: 0 }))
        if (++open === NODES - 1) process.send('connected')
      })
      ws.on('message', (frame) => {
        const m = decode(frame)
        const bytes = Buffer.concat(m.data)
        const base = st.leo
        void put(p, base, bytes).then(() => {
          st.leo = base + m.n
          ws.send(encode({ t: 'fetch', from: me, p, offset: st.leo }))
        })
      })
    }
  })
}

function key(partition, offset) {
  const k = Buffer.alloc(9)
  k[0] = partition
  k.writeBigUInt64BE(BigInt(offset), 1)
  return k
}

async function client({ rate, seconds, warmup, ports }) {
  process.on('disconnect', () => process.exit(0))
  const socks = await Promise.all(ports.map((port) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })))
  const total = Math.round(rate * (seconds + warmup))
  const counted = Math.round(rate * warmup)
  const sentAt = new Float64Array(total)
  const latencies = new Float64Array(total - counted)
  let measured = 0
  let received = 0
  const gathered = socks.map(() => [])
  const inFlight = socks.map(() => false)
  const consumed = socks.map(() => 0)
  let nextId = 0
  let allIn = () => {}
  const arrived = new Promise((resolve) => (allIn = resolve))

  const flush = (p) => {
    if (inFlight[p] || gathered[p].length === 0) return
    const values = gathered[p].splice(0)
    inFlight[p] = true
    socks[p].send(encode({ t: 'produce', p, id: nextId++, n: values.length, data: Buffer.concat(values) }))
  }
  socks.forEach((ws, p) => {
    ws.on('message', (frame) => {
      const m = decode(frame)
      if (m.t === 'produced') {
        inFlight[p] = false
        flush(p)
        return
      }
      const now = performance.now()
      for (const d of m.data) {
        for (let at = 0; at < d.length; at += VALUE_BYTES) {
          const seq = d.readUInt32BE(at)
          if (seq >= counted) latencies[measured++] = now - sentAt[seq]
          consumed[p]++
          if (++received === total) allIn()
        }
      }
      ws.send(encode({ t: 'consume', p, offset: consumed[p] }))
    })
    ws.send(encode({ t: 'consume', p, offset: 0 }))
  })

  const start = performance.now()
  let i = 0
  while (i < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1)
    for (; i < due; i++) {
      const v = Buffer.alloc(VALUE_BYTES)
      v.writeUInt32BE(i, 0)
      sentAt[i] = performance.now()
      gathered[i % NODES].push(v)
      flush(i % NODES)
    }
    if (i < total) await new Promise((resolve) => setTimeout(resolve, Math.max(1, (i * 1000) / rate - (performance.now() - start))))
  }
  let timer
  await Promise.race([arrived, new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_MS)))])
  clearTimeout(timer)
  const sorted = latencies.subarray(0, measured).sort()
  const q = (x) => (measured === 0 ? null : Math.round(sorted[Math.min(measured - 1, Math.floor(x * measured))] * 100) / 100)
  process.send({ rate, seconds, warmup, sent: total, received, p50: q(0.5), p99: q(0.99), p999: q(0.999), max: q(1) }, () => process.disconnect())
}
