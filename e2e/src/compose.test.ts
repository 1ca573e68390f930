/**
 * docker-compose.yml can't be run here (no Docker engine), so it is checked two
 * ways: statically against the broker's own config schema, and by launching the
 * same topology — the compose file's environment, hosts and ports remapped to
 * loopback — as local broker processes that must form a quorum.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'
import { ApiKey, type DescribeClusterResponse, type DescribeQuorumResponse } from '@tributary/protocol'
import { BROKER_OPTIONS, resolveBrokerConfig, type BrokerConfig } from '@tributary/broker'
import { BROKER_BIN, freePort, REPO_ROOT, rpc } from './cluster.js'

interface Service { hostname?: string; environment: Record<string, string>; ports?: string[]; volumes?: string[]; healthcheck?: unknown; restart?: string; build?: unknown }

async function loadCompose(): Promise<{ services: Record<string, Service>; volumes: Record<string, unknown> }> {
  const text = await readFile(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8')
  return parse(text, { merge: true })
}

function configOf(svc: Service): BrokerConfig {
  const r = resolveBrokerConfig({ env: svc.environment })
  if (!r.ok) throw new Error(r.message)
  return r.value
}

/** How long the three local nodes get to form. */
const FORM_TIMEOUT_MS = 30_000
const NODE_IDS = [1, 2, 3]

async function ask<B>(url: string, apiKey: number): Promise<B> {
  const c = await rpc(url, { requestTimeoutMs: 2000 })
  try {
    const r = await c.request<B>(apiKey, {})
    if (r.errorCode !== 0) throw new Error(`api ${apiKey}: error ${r.errorCode}`)
    return r.body
  } finally {
    c.close()
  }
}

/** Why the cluster at `urls` (ws://127.0.0.1:port, one per node 1..3) has not formed yet, or 'formed'. */
async function formed(urls: string[]): Promise<string> {
  for (const url of urls) {
    const res = await fetch(`${url.replace('ws://', 'http://')}/readyz`, { signal: AbortSignal.timeout(2000) })
      .catch((err: Error) => { throw new Error(`${url} /readyz: ${err.message}`) })
    if (res.status !== 200) return `${url} /readyz ${res.status}: ${await res.text()}`
  }
  const cluster = await ask<DescribeClusterResponse>(urls[0]!, ApiKey.DescribeCluster)
  const live = cluster.brokers.filter((b) => !b.fenced).map((b) => b.nodeId).sort((a, b) => a - b)
  if (JSON.stringify(live) !== JSON.stringify(NODE_IDS)) return `unfenced brokers [${live}] (registered: ${JSON.stringify(cluster.brokers)})`
  const q = await ask<DescribeQuorumResponse>(urls[0]!, ApiKey.DescribeQuorum)
  const caughtUp = q.voters.filter((v) => v.logEndOffset >= q.highWatermark).map((v) => v.nodeId).sort((a, b) => a - b)
  if (q.leaderId <= 0 || q.highWatermark <= 0 || JSON.stringify(caughtUp) !== JSON.stringify(NODE_IDS)) {
    return `quorum: leader ${q.leaderId}, HW ${q.highWatermark}, voters ${JSON.stringify(q.voters)}`
  }
  return 'formed'
}

/** Poll `formed` until it says so; at the deadline, the last reason it had not. */
async function waitFormed(urls: string[], timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs
  let last = 'not asked yet'
  while (Date.now() < deadline) {
    last = await formed(urls).catch((err: Error) => err.message)
    if (last === 'formed') return last
    await new Promise((res) => setTimeout(res, 100))
  }
  return last
}

describe('docker-compose.yml', () => {
  test('every service is a valid broker config: known env vars, unique ids, one voter list, ports and volumes', async () => {
    const { services, volumes } = await loadCompose()
    const names = Object.keys(services)
    expect(names.length).toBe(3)
    const knownEnv = new Set(BROKER_OPTIONS.map((o) => o.env))
    const configs = names.map((name) => {
      const svc = services[name]
      for (const key of Object.keys(svc.environment)) expect({ service: name, key, known: knownEnv.has(key) }).toEqual({ service: name, key, known: true })
      return { name, svc, cfg: configOf(svc) }
    })
    expect(new Set(configs.map((c) => c.cfg.nodeId)).size).toBe(3)
    const voterLists = configs.map((c) => JSON.stringify(c.cfg.voters))
    expect(new Set(voterLists).size).toBe(1)
    for (const { name, svc, cfg } of configs) {
      const mine = cfg.voters.find((v) => v.nodeId === cfg.nodeId)
      expect(mine).toBeDefined()
      const peerUrl = new URL(mine!.endpoint)
      const listen = new URL(cfg.listen)
      // Peers reach this node by its compose hostname on the port it listens on.
      expect(peerUrl.hostname).toBe(svc.hostname ?? name)
      expect(peerUrl.port).toBe(listen.port)
      // Clients on the host reach it through the published port it advertises.
      const advertised = new URL(cfg.advertise)
      expect(svc.ports).toContain(`${advertised.port}:${listen.port}`)
      // Data lives on a named volume mounted at the data dir.
      const mount = (svc.volumes ?? []).find((v) => v.endsWith(`:${cfg.dataDir}`))
      expect(mount).toBeDefined()
      expect(Object.keys(volumes)).toContain(mount!.split(':')[0])
      expect(svc.restart).toBeTruthy()
    }
  })

  test('the same topology, run as local processes, forms: all three ready, registered unfenced, and caught-up voters', async () => {
    const { services } = await loadCompose()
    const root = await mkdtemp(path.join(os.tmpdir(), 'tributary-compose-'))
    const children: ChildProcess[] = []
    try {
      const cfgs = Object.entries(services).map(([name, svc]) => ({ name, svc, cfg: configOf(svc) }))
      // Every compose host:port becomes 127.0.0.1:<free port>, consistently across all env vars.
      const remap = new Map<string, string>()
      const taken = new Set<number>()
      for (const { name, svc, cfg } of cfgs) {
        // The OS may hand the same free port out twice in a row: each node needs its own.
        let port = await freePort()
        while (taken.has(port)) port = await freePort()
        taken.add(port)
        const listenPort = new URL(cfg.listen).port
        remap.set(`${svc.hostname ?? name}:${listenPort}`, `127.0.0.1:${port}`)
        remap.set(`localhost:${new URL(cfg.advertise).port}`, `127.0.0.1:${port}`)
        remap.set(`0.0.0.0:${listenPort}`, `127.0.0.1:${port}`)
      }
      const rewrite = (v: string) => [...remap].reduce((s, [from, to]) => s.split(from).join(to), v)
      for (const { name, svc } of cfgs) {
        const env: Record<string, string> = {}
        for (const [k, v] of Object.entries(svc.environment)) env[k] = rewrite(String(v))
        env.TRIBUTARY_DATA_DIR = path.join(root, name)
        env.TRIBUTARY_LOG_LEVEL = 'warn'
        const child = spawn(process.execPath, [BROKER_BIN, 'broker'], {
          cwd: REPO_ROOT,
          env: { ...process.env, ...env, TRIBUTARY_EXIT_WITH_PARENT: '1' },
          stdio: ['pipe', 'ignore', 'inherit'],
        })
        children.push(child)
      }
      const urls = cfgs.map(({ cfg }) => rewrite(cfg.advertise))
      const why = await waitFormed(urls, FORM_TIMEOUT_MS)
      expect(why).toBe('formed')
    } finally {
      await Promise.all(children.map((c) => new Promise<void>((resolve) => {
        if (c.exitCode !== null || c.signalCode !== null) return resolve()
        c.once('exit', () => resolve())
        c.kill('SIGKILL')
      })))
      await rm(root, { recursive: true, force: true })
    }
  })
})
