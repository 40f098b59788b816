/**
 * Randomised differential run against the real kernel (root, iproute2, iptables-nft 1.8.9).
 *
 *   npx tsx scripts/kernel-diff.ts --seed 1 --cases 20 [--mode all|rules|nodes|fates|traces]
 *                                  [--ignore-unhooked] [--out DIR]
 *
 * For each case seed S in [seed, seed+cases):
 *   rules   random iptables-restore text (test/kernel/random-rules.ts, seed S): kernel restore → save
 *           vs the engine's parse → canonical render
 *   nodes   random cluster (test/kernel/random-cluster.ts, seed S): every node's generated rules loaded
 *           as kube-proxy loads them vs our save view
 *   fates   the same cluster built out of namespaces, real TCP/UDP per request, kernel outcome vs the
 *           engine's `all`-mode outcomes, plus balancing checks
 *   traces  the same cluster with a raw TRACE table: xtables-monitor events vs the engine's trace for the
 *           SYN and SYN-ACK on every node crossed
 * Prints the agreement rate per mode and the first disagreement of each with what reproduces it; the
 * inputs of every disagreement are written to --out (default /tmp/kns-kernel-diff).
 * `--ignore-unhooked` drops engine trace events of mangle and nat INPUT chains, which iptables-nft never
 * hooks on a kube-proxy node (kernel-disagreements E4), to look for other differences.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { kernelSkipReason, cleanupStale, withLab } from '../test/kernel/netns.ts'
import { kernelRoundTrip, normalizeSave, firstDiff } from '../test/kernel/kernel-tools.ts'
import { randomRuleset } from '../test/kernel/random-rules.ts'
import { randomCluster, nodeInput } from '../test/kernel/random-cluster.ts'
import { compareNode } from '../test/kernel/kube-compare.ts'
import { runClusterFates, describeCase } from '../test/kernel/fates-run.ts'
import { runClusterTraces } from '../test/kernel/trace-run.ts'
import { canonicalRenderer, engineApi } from '../test/kernel/engine.ts'
import { generateNodeRules, saveView } from '../src/cluster/kubeproxy/index.ts'
import type { GenerateInput } from '../src/cluster/kubeproxy/index.ts'

type Mode = 'rules' | 'nodes' | 'fates' | 'traces'

function arg (name: string, def?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0) return def
  return process.argv[i + 1]
}

const seed = Number(arg('seed', '1'))
const cases = Number(arg('cases', '10'))
const modeArg = arg('mode', 'all')!
const modes: Mode[] = modeArg === 'all' ? ['rules', 'nodes', 'fates', 'traces'] : modeArg.split(',') as Mode[]
const outDir = arg('out', '/tmp/kns-kernel-diff')!
const ignoreUnhooked = process.argv.includes('--ignore-unhooked')

if (!Number.isInteger(seed) || !Number.isInteger(cases) || cases < 1 || modes.some(m => !['rules', 'nodes', 'fates', 'traces'].includes(m))) {
  console.error('usage: npx tsx scripts/kernel-diff.ts --seed S --cases N [--mode all|rules|nodes|fates|traces] [--ignore-unhooked] [--out DIR]')
  process.exit(2)
}

const skip = kernelSkipReason()
if (skip !== null) {
  console.log(skip)
  process.exit(0)
}
cleanupStale()
mkdirSync(outDir, { recursive: true })

interface Tally { units: string, total: number, agree: number, first?: string }
const tallies = new Map<Mode, Tally>()
const tally = (m: Mode, units: string): Tally => {
  let t = tallies.get(m)
  if (t === undefined) { t = { units, total: 0, agree: 0 }; tallies.set(m, t) }
  return t
}
const save = (name: string, text: string): string => {
  const p = resolve(outDir, name)
  writeFileSync(p, text)
  return p
}

const started = Date.now()
for (let s = seed; s < seed + cases; s++) {
  if (modes.includes('rules')) {
    const t = tally('rules', 'rulesets')
    const render = await canonicalRenderer()
    if (typeof render === 'string') { console.log(`rules: ${render}`) } else {
      const text = randomRuleset(s)
      await withLab(lab => {
        const kernel = kernelRoundTrip(lab, lab.ns('r', { rulesOnly: true }), text)
        let ours: string
        try { ours = normalizeSave(render(text)) } catch (e) { ours = `engine threw: ${(e as Error).message}\n` }
        const d = firstDiff(kernel, ours)
        t.total++
        if (d === null) t.agree++
        else if (t.first === undefined) {
          const input = save(`rules-seed-${s}.rules`, text)
          save(`rules-seed-${s}.kernel-save.txt`, kernel)
          save(`rules-seed-${s}.ours.txt`, ours)
          t.first = `seed ${s}: ${d}\n  input: ${input} (iptables-restore < it in a fresh netns, then iptables-save)\n  rerun: npx tsx scripts/kernel-diff.ts --mode rules --seed ${s} --cases 1`
        }
      })
    }
  }
  const cluster = randomCluster(s)
  const clusterFile = (): string => save(`cluster-seed-${s}.json`, JSON.stringify(cluster, null, 2))
  if (modes.includes('nodes')) {
    const t = tally('nodes', 'node rulesets')
    await withLab(lab => {
      cluster.nodes.forEach((n, i) => {
        const input = nodeInput(cluster, n.name) as GenerateInput
        let d: string | null
        try { d = compareNode(lab, `n${i}`, input).diff } catch (e) { d = (e as Error).message }
        t.total++
        if (d === null) t.agree++
        else if (t.first === undefined) {
          const nr = generateNodeRules(input)
          save(`nodes-seed-${s}-${n.name}.restore.txt`, nr.restore)
          save(`nodes-seed-${s}-${n.name}.save-view.txt`, saveView(nr, { date: 'X' }))
          t.first = `cluster seed ${s} ${n.name}: ${d}\n  cluster: ${clusterFile()}\n  rerun: npx tsx scripts/kernel-diff.ts --mode nodes --seed ${s} --cases 1`
        }
      })
    })
  }
  if (modes.includes('fates') || modes.includes('traces')) {
    const api = await engineApi()
    if (typeof api === 'string') { console.log(`fates/traces: ${api}`) } else {
      if (modes.includes('fates')) {
        const t = tally('fates', 'requests')
        const b = tally('fates-balance' as Mode, 'balancing checks')
        const r = await withLab(async lab => await runClusterFates(lab, api, cluster))
        const pt = tally('fates-product' as Mode, 'requests (product cluster trace)')
        for (const c of r.cases) {
          t.total++
          if (c.agree) t.agree++
          else if (t.first === undefined) t.first = `cluster seed ${s}: ${describeCase(c)}\n  cluster: ${clusterFile()}\n  rerun: npx tsx scripts/kernel-diff.ts --mode fates --seed ${s} --cases 1`
          if (c.product === null) continue
          pt.total++
          if (c.product.agree) pt.agree++
          else if (pt.first === undefined) pt.first = `cluster seed ${s}: ${describeCase(c)}\n  cluster: ${clusterFile()}\n  rerun: npx tsx scripts/kernel-diff.ts --mode fates --seed ${s} --cases 1`
        }
        for (const x of r.balance) {
          b.total++
          if (x.ok) b.agree++
          else if (b.first === undefined) b.first = `cluster seed ${s}: ${x.what}: ${x.reason ?? ''}\n  observed ${JSON.stringify(x.observed)}\n  expected ${JSON.stringify(x.expected)}\n  cluster: ${clusterFile()}`
        }
      }
      if (modes.includes('traces')) {
        const t = tally('traces', 'node handshakes')
        const r = await withLab(async lab => await runClusterTraces(lab, api, cluster, ignoreUnhooked ? { ignoreEngine: /^(mangle:|nat:INPUT:policy)/ } : {}))
        for (const c of r) {
          t.total++
          if (c.problem === null) t.agree++
          else if (t.first === undefined) t.first = `cluster seed ${s}: ${c.what} @${c.node}: ${c.problem}\n  cluster: ${clusterFile()}\n  rerun: npx tsx scripts/kernel-diff.ts --mode traces --seed ${s} --cases 1${ignoreUnhooked ? ' --ignore-unhooked' : ''}`
        }
      }
    }
  }
  process.stderr.write(`case seed ${s} done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`)
}

console.log(`kernel differential run: seeds ${seed}..${seed + cases - 1}, modes ${modes.join(',')}, ${((Date.now() - started) / 1000).toFixed(1)} s`)
for (const [m, t] of tallies) {
  const rate = t.total === 0 ? 'n/a' : `${(100 * t.agree / t.total).toFixed(1)}%`
  console.log(`  ${m.padEnd(14)} ${t.agree}/${t.total} ${t.units} agree (${rate})`)
}
for (const [m, t] of tallies) {
  if (t.first !== undefined) console.log(`\nfirst ${m} disagreement — ${t.first}`)
}
