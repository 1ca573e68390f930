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
import { ApiKey, type DescribeQuorumResponse } from '@tributary/protocol'
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

  test('the same topology, run as local processes, forms a quorum of three voters', async () => {
    const { services } = await loadCompose()
    const root = await mkdtemp(path.join(os.tmpdir(), 'tributary-compose-'))
    const children: ChildProcess[] = []
    try {
      const cfgs = Object.entries(services).map(([name, svc]) => ({ name, svc, cfg: configOf(svc) }))
      // Every compose host:port becomes 127.0.0.1:<free port>, consistently across all env vars.
      const remap = new Map<string, string>()
      for (const { name, svc, cfg } of cfgs) {
        const port = await freePort()
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
      const first = rewrite(configOf(Object.values(services)[0]).advertise)
      const deadline = Date.now() + 30_000
      let quorum: DescribeQuorumResponse | undefined
      while (Date.now() < deadline) {
        try {
          const c = await rpc(first, { requestTimeoutMs: 2000 })
          try {
            const r = await c.request<DescribeQuorumResponse>(ApiKey.DescribeQuorum, {})
            if (r.errorCode === 0 && r.body.leaderId > 0 && r.body.voters.length === 3) { quorum = r.body; break }
          } finally {
            c.close()
          }
        } catch { /* not up yet */ }
        await new Promise((res) => setTimeout(res, 100))
      }
      expect(quorum).toBeDefined()
      expect(quorum!.voters.map((v) => v.nodeId).sort()).toEqual([1, 2, 3])
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
