/**
 * Trace equality against the kernel: the golden capture topology (setup.sh: client — node — pod), the
 * golden rulesets (rules.txt with `-j TRACE` for all tcp in raw, rules2.txt for goto/return), real
 * TCP connections, and `xtables-monitor --trace` in the node namespace. For the first packet of each
 * connection (SYN) and its reply (SYN-ACK), the kernel's sequence of (table, chain, rule number |
 * policy, verdict) with the packet header of each base-chain traversal must equal the engine's trace
 * of the same packet (nf_tables backend). Ids, MACs, lengths and handles aside; the port a
 * `--random-fully` MASQUERADE picks is random on both sides and is mapped kernel → engine.
 * Then the same on generated node rulesets (random clusters programmed as kube-proxy would, with a raw
 * table tracing SYN packets) for every node a request crosses; the engine runs in `all` mode and the
 * branch that took the kernel's statistic choices is compared (trace-run.ts).
 */
import { test, describe, before } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { kernelSkipReason, cleanupStale, withLab } from './netns.ts'
import type { Lab } from './netns.ts'
import { normalizeSave, parseSaved, parseMonitor, startMonitor } from './kernel-tools.ts'
import { buildTopology, goldenSpec, nodeHostSpec } from './topology.ts'
import type { Topology } from './topology.ts'
import { send } from './traffic.ts'
import type { Request, Result } from './traffic.ts'
import { kernelJourneys, handshake, compareHandshake } from './trace-compare.ts'
import type { Journey } from './trace-compare.ts'
import { engineSession, engineApi, KERNEL_TRACES } from './engine.ts'
import { randomCluster } from './random-cluster.ts'
import { runClusterTraces } from './trace-run.ts'
import type { EngineSession } from './engine.ts'

const skip = kernelSkipReason()

export const TRACE_CLUSTER_SEEDS = [7, 8]

interface Scenario {
  name: string
  rules: 'rules.txt' | 'rules2.txt'
  from: 'client' | 'node' | 'pod'
  req: Request
  /** what the kernel does (asserted independently of the engine) */
  expect: (r: Result) => boolean
}

const ok = (name: string) => (r: Result) => r.outcome === 'ok' && r.reply?.name === name

export const SCENARIOS: Scenario[] = [
  { name: 't1 client → ClusterIP 10.96.0.10:80', rules: 'rules.txt', from: 'client', req: { proto: 'tcp', host: '10.96.0.10', port: 80 }, expect: ok('p') },
  { name: 't2 client → NodePort 192.168.50.1:30080', rules: 'rules.txt', from: 'client', req: { proto: 'tcp', host: '192.168.50.1', port: 30080 }, expect: ok('p') },
  { name: 't3 node process → ClusterIP', rules: 'rules.txt', from: 'node', req: { proto: 'tcp', host: '10.96.0.10', port: 80 }, expect: ok('p') },
  { name: 't4 node process → 127.0.0.1:30080 (route_localnet)', rules: 'rules.txt', from: 'node', req: { proto: 'tcp', host: '127.0.0.1', port: 30080 }, expect: ok('p') },
  { name: 't5 pod → its own ClusterIP (hairpin)', rules: 'rules.txt', from: 'pod', req: { proto: 'tcp', host: '10.96.0.10', port: 80 }, expect: ok('p') },
  { name: 't6 client → node:9000 (INPUT)', rules: 'rules.txt', from: 'client', req: { proto: 'tcp', host: '192.168.50.1', port: 9000 }, expect: ok('r') },
  { name: 't8 node process → own address 192.168.50.1:9000 (loopback)', rules: 'rules.txt', from: 'node', req: { proto: 'tcp', host: '192.168.50.1', port: 9000 }, expect: ok('r') },
  { name: 't7 rules2: goto / conditional and unconditional RETURN', rules: 'rules2.txt', from: 'client', req: { proto: 'tcp', host: '192.168.50.1', port: 9000 }, expect: ok('r') }
]

interface KernelRun {
  scenario: Scenario
  result: Result
  journeys: Journey[]
  /** the kernel's iptables-save of the node (resolves rule handles of the golden captures too) */
  saved: string
}

function sourceNs (topo: Topology, from: Scenario['from']): string {
  if (from === 'client') return topo.clientNs
  if (from === 'node') return topo.nodeNs.get('r')!
  return topo.podNs.get('p')!
}

/** Runs every scenario of one ruleset in the kernel; returns per-scenario results and journeys. */
async function runKernel (lab: Lab, topo: Topology, rules: string, scenarios: Scenario[]): Promise<KernelRun[]> {
  const node = topo.nodeNs.get('r')!
  lab.restore(node, rules)
  const savedText = normalizeSave(lab.save(node))
  const saved = parseSaved(savedText)
  const mon = await startMonitor(lab, node)
  const runs: KernelRun[] = []
  for (const scenario of scenarios) {
    const start = mon.out().length
    const [result] = await send(lab, sourceNs(topo, scenario.from), [{ ...scenario.req, timeoutMs: 2000 }])
    await new Promise(resolve => setTimeout(resolve, 250))
    const journeys = kernelJourneys(parseMonitor(mon.out().slice(start), saved))
    runs.push({ scenario, result, journeys, saved: savedText })
  }
  await mon.stop()
  return runs
}

function compareWithEngine (run: KernelRun, session: EngineSession): string | null {
  return compareHandshake(run.journeys, session).problem
}

describe('kernel: TRACE sequences (xtables-monitor) equal the engine trace', { skip: skip ?? false }, () => {
  let runs: KernelRun[] = []
  before(async () => {
    cleanupStale()
    // one fresh topology per ruleset: iptables-restore only replaces the tables it names, and an
    // nf_tables table, once created, keeps its hooks (a leftover nat table would show up in traces)
    for (const file of ['rules.txt', 'rules2.txt'] as const) {
      await withLab(async lab => {
        const topo = await buildTopology(lab, goldenSpec())
        const rules = readFileSync(resolve(KERNEL_TRACES, file), 'utf8')
        runs.push(...await runKernel(lab, topo, rules, SCENARIOS.filter(s => s.rules === file)))
      })
    }
  })

  test('the kernel delivers every golden scenario as the captures say', () => {
    for (const r of runs) {
      assert.ok(r.scenario.expect(r.result), `${r.scenario.name}: ${JSON.stringify(r.result)}`)
      assert.ok(handshake(r.journeys).length >= 2, `${r.scenario.name}: no traced SYN/SYN-ACK seen (monitor output missing)`)
    }
  })

  test('live kernel traces equal the golden xtables-monitor captures (ports, MACs, ids aside)', () => {
    const strip = (ls: string[]): string[] => ls.map(l => l.replace(/ SPORT=\d+ DPORT=\d+/, ''))
    const byName = (n: string): KernelRun => runs.find(r => r.scenario.name.startsWith(n))!
    // golden handles are resolved to rule positions with the live kernel's save of the same rules
    const golden = (file: string, run: KernelRun): Journey[] =>
      kernelJourneys(parseMonitor(readFileSync(resolve(KERNEL_TRACES, file), 'utf8'), parseSaved(run.saved)))
    const syns = (js: Journey[]): Journey[] => js.filter(j => j.flags.includes('SYN') && !j.flags.includes('ACK'))
    const g1 = syns(golden('xtables-monitor-trace-t1-and-t6.log', byName('t1')))
    assert.ok(g1.length >= 2, 'golden t1/t6 capture has two SYN journeys')
    assert.deepEqual(strip(handshake(byName('t1').journeys)[0].lines), strip(g1[0].lines))
    assert.deepEqual(strip(handshake(byName('t6').journeys)[0].lines), strip(g1[1].lines))
    const g7 = syns(golden('xtables-monitor-trace-goto-return.log', byName('t7')))
    assert.deepEqual(strip(handshake(byName('t7').journeys)[0].lines), strip(g7[0].lines))
  })

  test('engine trace equals the kernel trace for each SYN and SYN-ACK', async (t) => {
    const make = await engineSession()
    if (typeof make === 'string') return t.skip(make)
    const spec = goldenSpec()
    const failures: string[] = []
    for (const r of runs) {
      const rules = readFileSync(resolve(KERNEL_TRACES, r.scenario.rules), 'utf8')
      const session = make(rules, nodeHostSpec(spec, 'r'))
      let d: string | null
      try {
        d = compareWithEngine(r, session)
      } catch (e) {
        d = `engine threw ${(e as Error).stack ?? String(e)}`
      }
      if (d !== null) failures.push(`${r.scenario.name}:\n${d}`)
    }
    t.diagnostic(`trace scenarios agreeing: ${runs.length - failures.length}/${runs.length}`)
    assert.deepEqual(failures, [])
  })

  for (const seed of TRACE_CLUSTER_SEEDS) {
    test(`generated node rulesets: random cluster seed ${seed}, SYN and SYN-ACK on every node crossed`, async (t) => {
      const api = await engineApi()
      if (typeof api === 'string') return t.skip(api)
      const c = randomCluster(seed)
      const cases = await withLab(async lab => await runClusterTraces(lab, api, c, { maxRequests: 6 }))
      const bad = cases.filter(x => x.problem !== null)
      t.diagnostic(`seed ${seed} (${c.settings.kubeProxy.profile}, ${c.nodes.length} nodes): node traces agreeing ${cases.length - bad.length}/${cases.length}`)
      assert.ok(cases.length > 0, 'some traced handshakes were compared')
      assert.deepEqual(bad.map(b => `${b.what} @${b.node}: ${b.problem ?? ''}`), [], `reproduce: npx tsx scripts/kernel-diff.ts --mode traces --seed ${seed} --cases 1`)
    })
  }
})
