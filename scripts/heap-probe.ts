// Heap after forced GC over repeated work, in-process, with a verdict: is the growth a leak or caches
// filling up to their bound (and V8 compiling hot code)?
//   services: in one long-lived cluster, create a NodePort service, trace, read a node's iptables, delete it;
//   clusters: create a cluster (admin token on, rate limit on), add a node, pods and a service, trace,
//             read iptables, query it over GraphQL with its own token, rotate its tokens, delete it.
// The rate limiter keeps at most 100 callers here (rateLimitCallers), so its LRU is full after the
// warm-up and only state that is never forgotten remains as growth.
// Each phase runs `rounds` rounds of `cycles` cycles; after each round it forces GC and records
// heapUsed. The first third of the rounds is warm-up (caches fill, hot code gets compiled); over the
// rest the least-squares slope of heapUsed less the code spaces, per cycle, must stay under
// LEAK_BYTES_PER_CYCLE, else the phase is reported as a suspected leak and the exit code is 1.
// `--snapshots DIR` also writes V8 heap snapshots after the warm-up and after the last round (compare
// them in Chrome DevTools, Memory tab, "Comparison" view) to find what a suspected leak keeps.
// Usage: node --expose-gc --import tsx scripts/heap-probe.ts [rounds=9] [--cycles 60] [--phase services|clusters|both] [--snapshots DIR]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8'
import { buildApp, type App } from '../src/api/app.ts'

// What a leak here would keep per cycle is at least one object graph the cycle created: a Service
// with its allocations, a cluster's rule cache or trace runtime (several KiB each). What V8 keeps
// adding for a few minutes while it optimises hot code (deopt data, feedback lists, in old space
// and so not excluded with the code spaces) stays around 1 KiB per cycle in this probe.
const LEAK_BYTES_PER_CYCLE = 2048

const argv = process.argv.slice(2)
const opt = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt
}
const rounds = Number(argv[0] !== undefined && !argv[0].startsWith('--') ? argv[0] : 9)
const cycles = Number(opt('cycles', '60'))
const phase = opt('phase', 'both')
const snapshots = opt('snapshots', '')
if (!Number.isInteger(rounds) || rounds < 3) throw new Error('rounds must be an integer >= 3')
const gc = (globalThis as { gc?: () => void }).gc
if (typeof gc !== 'function') throw new Error('run with: node --expose-gc --import tsx scripts/heap-probe.ts [rounds]')

const MiB = 2 ** 20
const ADMIN = 'heap-probe-admin-token'
const dir = mkdtempSync(join(tmpdir(), 'kns-heap-'))

type Inject = (method: string, url: string, payload?: unknown, token?: string) => Promise<{ statusCode: number, json: () => any }>

function injector (app: App): Inject {
  return async (method, url, payload, token = ADMIN) => {
    const r = await app.inject({ method: method as 'GET', url, payload: payload as object, headers: { authorization: `Bearer ${token}` } })
    if (r.statusCode >= 500) throw new Error(`${method} ${url} answered ${r.statusCode}: ${r.body}`)
    return r
  }
}

const node = (i: number) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: `n${i}` }, spec: { podCIDR: `10.244.${i}.0/24` }, status: { addresses: [{ type: 'InternalIP', address: `192.168.33.${10 + i}` }] } })
const pod = (i: number, nodes: number) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${i}`, labels: { app: 'web' } }, spec: { nodeName: `n${1 + (i % nodes)}`, containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }] }] } })
const service = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } })

/** A setup (run once) and a cycle (run rounds × cycles times). */
interface Phase { name: string, setup: (inj: Inject) => Promise<void>, cycle: (inj: Inject, round: number, i: number) => Promise<void> }

let fixedIP = ''
const SERVICES: Phase = {
  name: 'services',
  async setup (inj) {
    const B = '/api/v1/clusters/l'
    await inj('POST', '/api/v1/clusters', { metadata: { name: 'l' } })
    for (let i = 1; i <= 2; i++) await inj('POST', B + '/nodes', node(i))
    for (let i = 0; i < 6; i++) await inj('POST', B + '/namespaces/default/pods', pod(i, 2))
    fixedIP = (await inj('POST', B + '/namespaces/default/services', service('web'))).json().spec.clusterIP
  },
  async cycle (inj, round, i) {
    const B = '/api/v1/clusters/l'
    const name = `s-${round}-${i}`
    await inj('POST', B + '/namespaces/default/services', service(name))
    await inj('POST', B + '/traces', { protocol: 'TCP', destination: { address: fixedIP, port: 80 }, source: { node: 'n1' } })
    await inj('GET', B + '/nodes/n1/iptables')
    await inj('DELETE', B + '/namespaces/default/services/' + name)
  }
}

const GQL = 'query($c: String!) { cluster(name: $c) { metadata { name } } services(cluster: $c) { items { metadata { name } spec { clusterIP } } } }'

const CLUSTERS: Phase = {
  name: 'clusters',
  async setup () {},
  async cycle (inj, round, i) {
    // a new name every cycle: per-name state that is never forgotten shows up as growth
    const c = `c-${round}-${i}`
    const B = `/api/v1/clusters/${c}`
    const tokens = (await inj('POST', '/api/v1/clusters', { metadata: { name: c } })).json().tokens as { readWrite: string, readOnly: string }
    await inj('POST', B + '/nodes', node(1), tokens.readWrite)
    for (let p = 0; p < 2; p++) await inj('POST', B + '/namespaces/default/pods', pod(p, 1), tokens.readWrite)
    const ip = (await inj('POST', B + '/namespaces/default/services', service('web'), tokens.readWrite)).json().spec.clusterIP
    await inj('POST', B + '/traces', { protocol: 'TCP', destination: { address: ip, port: 80 }, source: { node: 'n1' } }, tokens.readOnly)
    await inj('GET', B + '/nodes/n1/iptables', undefined, tokens.readOnly)
    await inj('POST', '/graphql', { query: GQL, variables: { c } }, tokens.readOnly)
    await inj('POST', B + '/tokens', undefined, tokens.readWrite)
    await inj('DELETE', B)
  }
}

interface Sample { heapUsed: number, code: number, rss: number, heapTotal: number, external: number }

function sample (): Sample {
  gc!(); gc!()
  const code = getHeapSpaceStatistics().filter(s => s.space_name.startsWith('code')).reduce((a, s) => a + s.space_used_size, 0)
  const m = process.memoryUsage()
  return { heapUsed: m.heapUsed, code, rss: m.rss, heapTotal: m.heapTotal, external: m.external }
}

/** Least-squares slope of ys over xs. */
function slope (xs: number[], ys: number[]): number {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2 }
  return den === 0 ? 0 : num / den
}

async function run (p: Phase): Promise<boolean> {
  // traces on this thread: worker threads have heaps of their own, which heapUsed would not show
  const app = await buildApp({ databaseUrl: `file:${dir}/${p.name}.db`, logger: { level: 'error' }, seedDemo: false, docs: false, adminToken: ADMIN, traceWorkers: 0, limits: { rateLimitMax: 1_000_000, rateLimitCallers: 100 } })
  await app.ready()
  const inj = injector(app)
  await p.setup(inj)
  const samples: Sample[] = []
  const cpu0 = process.cpuUsage()
  const t0 = Date.now()
  console.log(`phase ${p.name}: ${rounds} rounds of ${cycles} cycles`)
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < cycles; i++) await p.cycle(inj, round, i)
    const s = sample()
    samples.push(s)
    if (snapshots !== '' && (round === Math.floor(rounds / 3) - 1 || round === rounds - 1)) writeHeapSnapshot(join(snapshots, `${p.name}-round${round}.heapsnapshot`))
    console.log(`  round ${round}: heapUsed ${(s.heapUsed / MiB).toFixed(1)} MiB (code ${(s.code / MiB).toFixed(1)} MiB), heapTotal ${(s.heapTotal / MiB).toFixed(0)} MiB, external ${(s.external / MiB).toFixed(1)} MiB, rss ${(s.rss / MiB).toFixed(0)} MiB`)
  }
  await app.close()
  const cpu = process.cpuUsage(cpu0)
  const warm = Math.floor(rounds / 3)
  const xs = samples.slice(warm).map((_, k) => (warm + k + 1) * cycles)
  const all = slope(xs, samples.slice(warm).map(s => s.heapUsed))
  const data = slope(xs, samples.slice(warm).map(s => s.heapUsed - s.code))
  const leak = data > LEAK_BYTES_PER_CYCLE
  console.log(`  after warm-up (rounds ${warm}..${rounds - 1}): heapUsed ${all.toFixed(0)} B/cycle, without compiled code ${data.toFixed(0)} B/cycle; ` +
    `wall ${((Date.now() - t0) / 1000).toFixed(1)} s, cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`)
  console.log(`  verdict ${p.name}: ${leak ? `LEAK suspected (more than ${LEAK_BYTES_PER_CYCLE} B/cycle of data kept)` : `no leak (data heap flat within ${LEAK_BYTES_PER_CYCLE} B/cycle: caches are bounded)`}`)
  return !leak
}

let ok = true
try {
  for (const p of [SERVICES, CLUSTERS]) if (phase === 'both' || phase === p.name) ok = (await run(p)) && ok
} finally {
  rmSync(dir, { recursive: true, force: true })
}
process.exitCode = ok ? 0 : 1
