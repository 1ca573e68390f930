/**
 * docker-compose.yml can't be run here (no Docker engine), so it is checked two
 * ways: statically against the broker's own config schema, and by launching the
 * same topology — the compose file's environment, hosts and ports remapped to
 * loopback — as local broker processes that must form a quorum. Both client
 * paths are then used with the CLI: the `cli` service's bootstrap (the compose
 * network's listener) and the host's published ports (the `external` listener);
 * each must be told only its own listener's addresses.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'
import { ApiKey, type DescribeClusterResponse, type DescribeQuorumResponse, type MetadataResponse } from '@tributary/protocol'
import { BROKER_OPTIONS, namedListeners, resolveBrokerConfig, type BrokerConfig } from '@tributary/broker'
import { runCli } from './cli-process.js'
import { BROKER_BIN, freePort, REPO_ROOT, rpc } from './cluster.js'

interface Service { hostname?: string; environment: Record<string, string>; ports?: string[]; volumes?: string[]; healthcheck?: unknown; restart?: string; build?: unknown; profiles?: string[]; image?: string; depends_on?: string[] }

interface Compose { services: Record<string, Service>; volumes: Record<string, unknown> }

async function loadCompose(): Promise<Compose> {
  const text = await readFile(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8')
  return parse(text, { merge: true })
}

/** The broker services (the ones `docker compose up` starts as nodes). */
function nodeServices(c: Compose): Array<[string, Service]> {
  return Object.entries(c.services).filter(([, svc]) => svc.environment?.TRIBUTARY_NODE_ID !== undefined)
}

/** The one external (host-facing) listener of a node: bind URL, advertised URL. */
function external(cfg: BrokerConfig): { listen: string; advertise: string } {
  const l = namedListeners(cfg).find((x) => x.name === 'external')
  if (!l) throw new Error(`node ${cfg.nodeId} has no external listener`)
  return l
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
  test('every node service is a valid broker config: known env vars, unique ids, one voter list, two listeners, ports and volumes', async () => {
    const compose = await loadCompose()
    const { services, volumes } = compose
    const names = nodeServices(compose).map(([name]) => name)
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
      // Peers and containers reach this node by its compose hostname on the port it listens on,
      // and that is what clients of this listener are told.
      expect(peerUrl.hostname).toBe(svc.hostname ?? name)
      expect(peerUrl.port).toBe(listen.port)
      expect(cfg.advertise).toBe(mine!.endpoint)
      // Clients on the host reach the external listener through the published port it advertises.
      const ext = external(cfg)
      const advertised = new URL(ext.advertise)
      expect(advertised.hostname).toBe('localhost')
      expect(svc.ports).toEqual([`${advertised.port}:${new URL(ext.listen).port}`])
      // Data lives on a named volume mounted at the data dir.
      const mount = (svc.volumes ?? []).find((v) => v.endsWith(`:${cfg.dataDir}`))
      expect(mount).toBeDefined()
      expect(Object.keys(volumes)).toContain(mount!.split(':')[0])
      expect(svc.restart).toBeTruthy()
    }
  })

  test('the cli service runs the image on the compose network, only when asked (a profile)', async () => {
    const compose = await loadCompose()
    const cli = compose.services.cli
    expect(cli).toBeDefined()
    expect(cli!.profiles).toEqual(['cli'])
    expect(cli!.image).toBe(compose.services.node1!.image)
    const internal = nodeServices(compose).map(([, svc]) => configOf(svc).advertise)
    expect(cli!.environment.TRIBUTARY_BOOTSTRAP!.split(',')).toEqual(internal)
  })

  test('the same topology, run as local processes, forms; the compose network and the host each use it and are told only their own addresses', async () => {
    const compose = await loadCompose()
    const root = await mkdtemp(path.join(os.tmpdir(), 'tributary-compose-'))
    const children: ChildProcess[] = []
    try {
      const nodes = nodeServices(compose).map(([name, svc]) => ({ name, svc, cfg: configOf(svc) }))
      // Every compose host:port becomes 127.0.0.1:<free port>, consistently across all env vars:
      // one port for the compose-network listener, one for the external (host) listener.
      const remap = new Map<string, string>()
      const taken = new Set<number>()
      const port = async (): Promise<number> => {
        // The OS may hand the same free port out twice in a row: each listener needs its own.
        let p = await freePort()
        while (taken.has(p)) p = await freePort()
        taken.add(p)
        return p
      }
      for (const { name, svc, cfg } of nodes) {
        const internalPort = await port()
        const externalPort = await port()
        const listenPort = new URL(cfg.listen).port
        remap.set(`${svc.hostname ?? name}:${listenPort}`, `127.0.0.1:${internalPort}`)
        remap.set(`0.0.0.0:${listenPort}`, `127.0.0.1:${internalPort}`)
        const ext = external(cfg)
        remap.set(`0.0.0.0:${new URL(ext.listen).port}`, `127.0.0.1:${externalPort}`)
        // Docker publishes the advertised host port onto the listener's port; locally it is the same port.
        remap.set(`localhost:${new URL(ext.advertise).port}`, `127.0.0.1:${externalPort}`)
      }
      // Each comma-separated part of a value ends in a URL (`ws://h:p`, `1@ws://h:p`, `external=ws://h:p`).
      const rewritePart = (part: string): string => {
        const hostPort = part.slice(part.lastIndexOf('//') + 2)
        const to = remap.get(hostPort)
        return to === undefined ? part : part.slice(0, part.length - hostPort.length) + to
      }
      const rewrite = (v: string): string => v.split(',').map(rewritePart).join(',')
      for (const { name, svc } of nodes) {
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
      const internalUrls = nodes.map(({ cfg }) => rewrite(cfg.advertise))
      const externalUrls = nodes.map(({ cfg }) => rewrite(external(cfg).advertise))
      expect(new Set([...internalUrls, ...externalUrls]).size).toBe(6)
      const why = await waitFormed(internalUrls, FORM_TIMEOUT_MS)
      expect(why).toBe('formed')

      // Each listener answers Metadata with its own network's addresses, whichever node is asked.
      for (const [urls, expected] of [[internalUrls, internalUrls], [externalUrls, externalUrls]] as const) {
        for (const url of urls) {
          const md = await ask<MetadataResponse>(url, ApiKey.Metadata)
          expect({ asked: url, endpoints: md.brokers.map((b) => b.endpoint) }).toEqual({ asked: url, endpoints: expected })
        }
      }

      // `docker compose run --rm cli ...` (the cli service's bootstrap) writes; the host (published ports) reads.
      const inside = { TRIBUTARY_BOOTSTRAP: rewrite(compose.services.cli!.environment.TRIBUTARY_BOOTSTRAP!) }
      const outside = { TRIBUTARY_BOOTSTRAP: externalUrls.join(',') }
      expect(inside.TRIBUTARY_BOOTSTRAP.split(',')).toEqual(internalUrls)
      const created = await runCli(['topics', 'create', 'paths', '--partitions', '3', '--replication-factor', '3'], { env: inside })
      expect(created).toMatchObject({ code: 0 })
      const produced = await runCli(['produce', 'paths', '--key-separator', ':'], { env: inside, input: 'a:1\nb:2\nc:3\nd:4\n' })
      expect(produced).toMatchObject({ code: 0, stderr: '' })
      const consumed = await runCli(['consume', 'paths', '--from-beginning', '--max-messages', '4'], { env: outside })
      expect({ code: consumed.code, values: consumed.stdout.trim().split('\n').sort() }).toEqual({ code: 0, values: ['1', '2', '3', '4'] })
      // DescribeCluster is answered by the controller: a forwarded request keeps the asker's listener.
      for (const url of externalUrls) {
        const brokers = await runCli(['metadata', 'brokers', '--json', '--bootstrap', url])
        expect({ asked: url, endpoints: (JSON.parse(brokers.stdout) as Array<{ endpoint: string }>).map((b) => b.endpoint) }).toEqual({ asked: url, endpoints: externalUrls })
      }
    } finally {
      await Promise.all(children.map((c) => new Promise<void>((resolve) => {
        if (c.exitCode !== null || c.signalCode !== null) return resolve()
        c.once('exit', () => resolve())
        c.kill('SIGKILL')
      })))
      await rm(root, { recursive: true, force: true })
    }
  }, 90_000)

  test('the monitoring profile: Prometheus scrapes every node at its compose address, Grafana is provisioned with it and the dashboard', async () => {
    const compose = await loadCompose()
    const { services, volumes } = compose
    const brokers = nodeServices(compose)
    const { prometheus, grafana } = services
    for (const svc of [prometheus, grafana]) {
      expect(svc?.profiles).toEqual(['monitoring'])
      expect(svc?.image).toMatch(/^(prom\/prometheus|grafana\/grafana):v?\d+\.\d+\.\d+$/)
    }
    // Every bind mount names a file or directory of this repository; named volumes are declared.
    const mountOf = (svc: Service, target: string): string => {
      const m = (svc.volumes ?? []).find((v) => v.split(':')[1] === target)
      expect({ target, mounted: m !== undefined }).toEqual({ target, mounted: true })
      const source = m!.split(':')[0]!
      if (!source.startsWith('./')) expect(Object.keys(volumes)).toContain(source)
      return path.join(REPO_ROOT, source)
    }
    const scrape = parse(await readFile(mountOf(prometheus!, '/etc/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ metrics_path?: string; static_configs: Array<{ targets: string[] }> }> }
    const targets = scrape.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets)).sort()
    expect(targets).toEqual(brokers.map(([name, svc]) => `${svc.hostname ?? name}:${new URL(configOf(svc).listen).port}`).sort())
    expect(scrape.scrape_configs.every((c) => (c.metrics_path ?? '/metrics') === '/metrics')).toBe(true)
    expect(prometheus!.depends_on).toEqual(expect.arrayContaining(brokers.map(([name]) => name)))

    const provisioning = mountOf(grafana!, '/etc/grafana/provisioning')
    const datasources = parse(await readFile(path.join(provisioning, 'datasources', 'prometheus.yml'), 'utf8')) as { datasources: Array<{ uid: string; type: string; url: string }> }
    const ds = datasources.datasources[0]!
    expect(ds).toMatchObject({ type: 'prometheus', url: `http://prometheus:${prometheus!.ports![0]!.split(':')[1]}` })
    const providers = parse(await readFile(path.join(provisioning, 'dashboards', 'tributary.yml'), 'utf8')) as { providers: Array<{ options: { path: string } }> }
    const dashboards = mountOf(grafana!, providers.providers[0]!.options.path)
    const dashboard = JSON.parse(await readFile(path.join(dashboards, 'tributary.json'), 'utf8')) as { panels: Array<{ type: string; datasource?: { uid: string }; targets?: Array<{ datasource?: { uid: string } }> }> }
    // Every query panel reads the provisioned data source (e2e/src/metrics.test.ts checks the queries name real metrics).
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) {
      expect(p.datasource?.uid).toBe(ds.uid)
      for (const t of p.targets ?? []) expect(t.datasource?.uid ?? ds.uid).toBe(ds.uid)
    }
  })
})
