/**
 * Packet fates against the kernel: a namespace per external client, node and pod, every node
 * programmed as kube-proxy programs it, real TCP and UDP sent, and each kernel outcome (which pod
 * answered, the source address it saw, the address the reply came from, connection refused, timeout)
 * must be one of the outcomes the engine predicts in `all` mode. For load-balanced services repeated
 * connections must reach exactly the engine's set of pods, each within a 5-sigma band of N·p
 * (see balanceVerdict in fates-run.ts for the bound and its false-failure probability).
 *
 * Until the product's cluster trace exists, the engine side is the engine itself walked across nodes
 * (engine-cluster.ts).
 */
import { test, describe, before } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { kernelSkipReason, cleanupStale, withLab } from './netns.ts'
import { buildTopology, goldenSpec } from './topology.ts'
import { send } from './traffic.ts'
import { randomCluster } from './random-cluster.ts'
import type { RandomCluster, ClusterRequest } from './random-cluster.ts'
import { runClusterFates, describeCase, kernelKey } from './fates-run.ts'
import type { FateReport } from './fates-run.ts'
import { EngineCluster, fateDistribution } from './engine-cluster.ts'
import { engineApi, KERNEL_TRACES } from './engine.ts'
import { DEMO_NODE, DEMO_SERVICE, DEMO_SETTINGS, DEMO_SLICE } from '../kubeproxy/demo.ts'

const skip = kernelSkipReason()

export const FATE_SEEDS = [8, 14]

/** The demo (seed note) cluster as a lab cluster: node vortex-dev 172.17.8.100, nginx pods on :80. */
export function demoCluster (): RandomCluster {
  return {
    seed: 0,
    settings: DEMO_SETTINGS,
    nodes: [{
      node: DEMO_NODE,
      name: 'vortex-dev',
      ip: '172.17.8.100',
      podCidr: '10.244.0.0/24',
      pods: DEMO_SLICE.endpoints.map(e => ({ name: e.targetRef!.name, ip: e.addresses[0] }))
    }],
    services: [DEMO_SERVICE],
    slices: [DEMO_SLICE],
    options: { markStyle: 'kube-proxy', randomFully: true, nfacct: false },
    clientIp: '172.17.8.2',
    podPorts: [80]
  }
}

function report (r: FateReport): string[] {
  return [
    ...r.cases.filter(c => !c.agree).map(describeCase),
    ...r.cases.filter(c => c.agree && c.product !== null && !c.product.agree).map(c => `product cluster trace: ${describeCase(c)}`),
    ...r.balance.filter(b => !b.ok).map(b => `balance ${b.what}: ${b.reason ?? ''} observed ${JSON.stringify(b.observed)} expected ${JSON.stringify(b.expected)}`)
  ]
}

function productLine (r: FateReport): string {
  const cmp = r.cases.filter(c => c.product !== null)
  return `${cmp.filter(c => c.product!.agree).length}/${cmp.length} (${r.cases.length - cmp.length} same-node bridge cases not comparable)`
}

describe('kernel: packet fates equal the engine\'s predictions', { skip: skip ?? false }, () => {
  before(() => { cleanupStale() })

  test('golden topology (rules.txt): forwarded, NodePort, hairpin, host process, localhost NodePort; folded port range', async (t) => {
    const api = await engineApi()
    if (typeof api === 'string') return t.skip(api)
    const spec = goldenSpec()
    const rules = readFileSync(resolve(KERNEL_TRACES, 'rules.txt'), 'utf8')
    const reqs: ClusterRequest[] = [
      { from: { kind: 'client' }, proto: 'tcp', dst: '10.96.0.10', port: 80, what: 'client → ClusterIP' },
      { from: { kind: 'client' }, proto: 'tcp', dst: '192.168.50.1', port: 30080, what: 'client → NodePort' },
      { from: { kind: 'client' }, proto: 'udp', dst: '10.96.0.10', port: 80, what: 'client → ClusterIP over UDP (no UDP service: forwarded to the default route)' },
      { from: { kind: 'pod', name: 'p' }, proto: 'tcp', dst: '10.96.0.10', port: 80, what: 'pod → own ClusterIP (hairpin)' },
      { from: { kind: 'node', name: 'r' }, proto: 'tcp', dst: '10.96.0.10', port: 80, what: 'node process → ClusterIP' },
      { from: { kind: 'node', name: 'r' }, proto: 'tcp', dst: '127.0.0.1', port: 30080, what: 'node process → 127.0.0.1 NodePort' },
      { from: { kind: 'client' }, proto: 'tcp', dst: '192.168.50.1', port: 30081, what: 'client → node port nobody listens on' }
    ]
    const failures: string[] = []
    await withLab(async lab => {
      const topo = await buildTopology(lab, spec)
      lab.restore(topo.nodeNs.get('r')!, rules)
      const engine = new EngineCluster(api, spec, new Map([['r', rules]]))
      for (const req of reqs) {
        const ns = req.from.kind === 'client' ? topo.clientNs : req.from.kind === 'pod' ? topo.podNs.get('p')! : topo.nodeNs.get('r')!
        const [res] = await send(lab, ns, [{ proto: req.proto, host: req.dst, port: req.port, timeoutMs: 1500 }])
        const dist = fateDistribution(engine.fates(req))
        const k = kernelKey(res)
        if (!dist.has(k)) failures.push(`${req.what}: kernel ${k}; engine ${[...dist.keys()].join(' | ')}; path ${[...dist.values()][0]?.example.path.join(' → ')}`)
      }
      // iptables-nft folds `! --dport 0:65535` into a match-all (kernel-disagreements E3): the kernel
      // drops every TCP packet to the node, the node's listener on :9000 never answers, and the engine,
      // given what the kernel holds (its own iptables-save), must say the same
      const node = topo.nodeNs.get('r')!
      lab.restore(node, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp ! --dport 0:65535 -j DROP\nCOMMIT\n')
      const folded: ClusterRequest = { from: { kind: 'client' }, proto: 'tcp', dst: '192.168.50.1', port: 9000, what: 'client → node:9000 with `-p tcp ! --dport 0:65535 -j DROP` in INPUT' }
      const [res] = await send(lab, topo.clientNs, [{ proto: 'tcp', host: folded.dst, port: folded.port, timeoutMs: 1500 }])
      assert.equal(kernelKey(res), 'timeout', 'the kernel drops it')
      const dist = fateDistribution(new EngineCluster(api, spec, new Map([['r', lab.save(node)]])).fates(folded))
      if (dist.size !== 1 || !dist.has('timeout')) failures.push(`${folded.what}: kernel timeout; engine ${[...dist.keys()].join(' | ')}`)
    })
    t.diagnostic(`golden fate scenarios agreeing: ${reqs.length + 1 - failures.length}/${reqs.length + 1}`)
    assert.deepEqual(failures, [])
  })

  test('demo cluster (seed note): NodePort 30136 balances over the three nginx pods as the engine says', async (t) => {
    const api = await engineApi()
    if (typeof api === 'string') return t.skip(api)
    const c = demoCluster()
    const r = await withLab(async lab => await runClusterFates(lab, api, c, { balanceN: 60, maxBalance: 2 }))
    t.diagnostic(`demo fates agreeing: ${r.cases.filter(x => x.agree).length}/${r.cases.length}; product cluster trace ${productLine(r)}; balancing checks ${r.balance.filter(b => b.ok).length}/${r.balance.length}`)
    assert.deepEqual(report(r), [])
    // the seed's NodePort must have been balance-tested over exactly three pods with p = 1/3 (quantised)
    const np = r.balance.find(b => b.what.includes('NodePort'))
    assert.ok(np !== undefined, 'NodePort balancing was exercised')
    assert.equal(Object.keys(np.expected).length, 3)
    for (const p of Object.values(np.expected)) assert.ok(Math.abs(p - 1 / 3) < 1e-4)
  })

  for (const seed of FATE_SEEDS) {
    test(`random cluster seed ${seed}`, async (t) => {
      const api = await engineApi()
      if (typeof api === 'string') return t.skip(api)
      const c = randomCluster(seed)
      const r = await withLab(async lab => await runClusterFates(lab, api, c, { maxBalance: 1 }))
      t.diagnostic(`seed ${seed} (${c.settings.kubeProxy.profile}, ${c.nodes.length} nodes): fates agreeing ${r.cases.filter(x => x.agree).length}/${r.cases.length}; product cluster trace ${productLine(r)}; balancing ${r.balance.filter(b => b.ok).length}/${r.balance.length}`)
      assert.deepEqual(report(r), [], `reproduce: npx tsx scripts/kernel-diff.ts --mode fates --seed ${seed} --cases 1`)
    })
  }
})
