/**
 * Everything measured at one cluster size, in a fresh process (so RSS is this size's alone):
 * rule generation (full render, save view, incremental re-render after one change, RSS), the engine
 * (parse + prepare of the node's whole ruleset, sampled and all-mode traces) and, with --kernel as
 * root, the real iptables-restore / iptables-save in a namespace of our own on the same ruleset.
 *
 *   npx tsx bench/scale.ts --services 10000 --endpoints 10 [--kernel [--kernel-sync]] [--no-engine] [--no-rules] [--warm-nodes 20]
 *
 * The generator runs with nfacct off (what kube-proxy does when the nfacct objects cannot be created),
 * so the kernel tools accept the very same text without `nfacct add` in the namespace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeProxyRulesCache, nodeDocument, nodeRuleset, saveView, saveViewChunks, type GenerateInput } from '../src/cluster/kubeproxy/index.ts'
import { prepareForTrace } from '../src/cluster/trace/runtime.ts'
import { buildClusterNet } from '../src/cluster/trace/topology.ts'
import { createEngineState, evaluatePacket } from '../src/netfilter/index.ts'
import { clusterIP, domainCluster, generateInput, withOneChange, type DomainCluster } from './lib/cluster.ts'
import { emit, flags, median, percentile, rssMiB, skip, timed, type Target } from './lib/figures.ts'
import { execIn, kernelToolsMissing, lineDiff, withNetns, withoutComments } from './lib/netns.ts'

const f = flags()
const N = Number(f.get('services') ?? 1000)
const M = Number(f.get('endpoints') ?? 10)
const doRules = !f.has('no-rules')
const doEngine = !f.has('no-engine')
const doKernel = f.has('kernel')
/** also time a kube-proxy full sync (`iptables-restore --noflush`) after one change: slow on the nft backend */
const doSync = f.has('kernel-sync')
const tag = `${N}x${M}`
const shape = `${N.toLocaleString('en-US')} svc × ${M} ep`

const at = (n: number, m: number | null, t: Target): Target | undefined => n === N && (m == null || m === M) ? t : undefined
const fix = (x: number, d = 1): number => Number(x.toFixed(d))
function newlines (parts: string[]): number {
  let n = 0
  for (const p of parts) for (let i = p.indexOf('\n'); i >= 0; i = p.indexOf('\n', i + 1)) n++
  return n
}

const t0 = timed(() => domainCluster({ services: N, endpoints: M }))
const cluster: DomainCluster = t0.value
console.log(`cluster ${shape}: ${cluster.nodes.length} nodes, ${cluster.pods.length} pods, ${cluster.endpointSlices.length} slices built in ${t0.ms.toFixed(0)} ms`)
const baseRss = rssMiB()
const input = (c: DomainCluster): GenerateInput => ({ ...generateInput(c), options: { nfacct: false } })

// ---- rule generation ---------------------------------------------------------------------------
const cache = new KubeProxyRulesCache()
const full = timed(() => cache.render(input(cluster), 1))
const nr = full.value
// counted from the pieces: reading `nr.restore` would keep the joined document (tens of MB) in the node's rules
const restoreLines = newlines(nr.restoreChunks())
// the save view of the whole node as the server produces it: pieces, streamed to the client
// (GET …/iptables); RSS is read before they are joined (the joined text is a response, not server state)
const savePieces = timed(() => saveViewChunks(nr, new Date(), cache))
const rssAfter = rssMiB()
const saveJoin = timed(() => savePieces.value.join(''))
const saveLines = newlines([saveJoin.value]) + 1
savePieces.value = []
saveJoin.value = ''
const save = { ms: savePieces.ms + saveJoin.ms, cpuMs: savePieces.cpuMs + saveJoin.cpuMs }
const changed = withOneChange(cluster, Math.floor(N / 2))
const inc = timed(() => cache.render(input(changed), 2))
const rebuilt = cache.lastRebuilt
const incSave = timed(() => saveViewChunks(inc.value, new Date(), cache).join('').length)
if (doRules) {
  emit({ id: `rules.render.${tag}`, label: `full render of one node (${shape})`, value: fix(full.ms), cpuMs: fix(full.cpuMs, 1), unit: 'ms', services: N, target: at(10000, null, { op: '<=', value: 1000 }), note: `${restoreLines.toLocaleString('en-US')} restore lines; CPU ${full.cpuMs.toFixed(0)} ms` })
  emit({ id: `rules.save.${tag}`, label: `iptables-save view (${shape})`, value: fix(save.ms), cpuMs: fix(save.cpuMs, 1), unit: 'ms', services: N, note: `${saveLines.toLocaleString('en-US')} lines; CPU ${save.cpuMs.toFixed(0)} ms (pieces ${savePieces.cpuMs.toFixed(0)} + join ${saveJoin.cpuMs.toFixed(0)})` })
  emit({ id: `rules.incremental.${tag}`, label: `re-render after 1 service change (${shape})`, value: fix(inc.ms, 2), cpuMs: fix(inc.cpuMs, 1), unit: 'ms', services: N, target: at(10000, null, { op: '<=', value: 50 }), note: `${rebuilt} service rebuilt, CPU ${inc.cpuMs.toFixed(1)} ms; nftables partial sync anchor: ~141 ms at 10k` })
  emit({ id: `rules.incremental-save.${tag}`, label: `save view after 1 change (${shape})`, value: fix(incSave.ms, 2), cpuMs: fix(incSave.cpuMs, 1), unit: 'ms', services: N, note: `pieces + join; CPU ${incSave.cpuMs.toFixed(0)} ms` })
  emit({ id: `rules.rss.${tag}`, label: `RSS after render + save view pieces (${shape})`, value: fix(rssAfter, 0), unit: 'MiB', services: N, target: at(10000, null, { op: '<=', value: 400 }), note: `of which the cluster objects ${baseRss.toFixed(0)} MiB` })
}

// ---- engine ------------------------------------------------------------------------------------
if (doEngine) {
  const parse = timed(() => nodeRuleset(inc.value))
  const prep = timed(() => prepareForTrace(parse.value))
  const prepared = prep.value
  let ruleCount = 0
  for (const t of parse.value.tables.values()) for (const c of t.chains.values()) ruleCount += c.rules.length
  emit({ id: `engine.parse-prepare.${tag}`, label: `parse + prepare the node's ruleset (${shape})`, value: fix(parse.ms + prep.ms, 0), cpuMs: fix(parse.cpuMs + prep.cpuMs, 1), unit: 'ms', services: N, target: at(10000, 5, { op: '<=', value: 1000 }), note: `parse ${parse.ms.toFixed(0)} ms + prepare ${prep.ms.toFixed(0)} ms (CPU ${(parse.cpuMs + prep.cpuMs).toFixed(0)} ms), ${ruleCount.toLocaleString('en-US')} rules` })
  const net = buildClusterNet({ settings: changed.settings, nodes: changed.nodes, pods: changed.pods, services: changed.services })
  const host = net.nodes.get('node-0')!.host
  const state = createEngineState({ seed: 1 })
  const packets = N >= 30000 ? 5000 : 20000
  const times: number[] = []
  let dnat = 0
  for (let k = 0; k < packets; k++) {
    const i = (k * 7919) % N
    const port = i === Math.floor(N / 2) ? 81 : 80
    const pkt = { inIface: 'eth0', src: `172.16.${(k >> 8) & 255}.${k & 255}`, dst: clusterIP(i), proto: 'tcp' as const, sport: 1024 + (k % 60000), dport: port, tcpFlags: ['SYN'] }
    const s = performance.now()
    const r = evaluatePacket(prepared, host, pkt, state, { mode: 'sample', detail: 'matched' })
    times.push((performance.now() - s) * 1000)
    if (r.packetAfter.dport === 8080) dnat++
  }
  const steady = times.slice(Math.floor(times.length / 10))
  emit({ id: `engine.trace-sample.${tag}`, label: `engine: one sampled trace, median (${shape})`, value: fix(median(steady), 1), unit: 'µs', services: N, target: at(10000, 5, { op: '<=', value: 50 }), note: `p99 ${percentile(steady, 99).toFixed(1)} µs over ${steady.length} packets, ${dnat}/${packets} DNATed; kernel iptables first-packet p50 ≈ 60 µs at 10k (blog chart)` })
  // all-mode: every branch of an M-endpoint service, from a fresh state as a cluster trace starts
  // (all mode clones the state per branch: a state holding the 20k flows above makes it ~100× slower)
  const i10 = 3
  const allTimes: number[] = []
  let branches = 0
  for (let k = 0; k < 200; k++) {
    const s = performance.now()
    const r = evaluatePacket(prepared, host, { inIface: 'eth0', src: '172.16.9.9', dst: clusterIP(i10), proto: 'tcp', sport: 2000 + k, dport: 80, tcpFlags: ['SYN'] }, createEngineState({ seed: k }), { mode: 'all', detail: 'matched' })
    allTimes.push((performance.now() - s) * 1000)
    branches = r.branches?.length ?? branches
  }
  emit({ id: `engine.trace-all.${tag}`, label: `engine: all-mode trace of a ${M}-endpoint service, median (${shape})`, value: fix(median(allTimes.slice(20)), 1), unit: 'µs', services: N, note: `${branches} branches` })

}

// ---- several nodes: what the trace runtime does on each node's first trace --------------------------
// (nodes of one cluster share Service fragments and their parsed rules: the first node pays the parse)
const warmNodes = Math.min(Number(f.get('warm-nodes') ?? 0), cluster.nodes.length)
if (warmNodes > 0) {
  const nodeCache = new KubeProxyRulesCache()
  const parts = { render: 0, parse: 0, prepare: 0 }
  let first = 0
  const all = timed(() => {
    for (let k = 0; k < warmNodes; k++) {
      const r = timed(() => nodeCache.render({ ...generateInput(cluster, k), options: { nfacct: false } }, 1))
      const p = timed(() => nodeRuleset(r.value))
      const q = timed(() => prepareForTrace(p.value))
      parts.render += r.cpuMs
      parts.parse += p.cpuMs
      parts.prepare += q.cpuMs
      if (k === 0) first = r.cpuMs + p.cpuMs + q.cpuMs
    }
  })
  emit({ id: `engine.warm-nodes.${tag}`, label: `render + parse + prepare ${warmNodes} nodes (${shape})`, value: fix(all.ms, 0), cpuMs: fix(all.cpuMs, 1), unit: 'ms', services: N, note: `CPU: render ${parts.render.toFixed(0)} + parse ${parts.parse.toFixed(0)} + prepare ${parts.prepare.toFixed(0)} ms; first node ${first.toFixed(0)} ms` })
}

// ---- the real tools on the same ruleset ----------------------------------------------------------
if (doKernel) {
  const missing = kernelToolsMissing()
  if (missing != null) {
    console.log(`kernel side by side skipped: ${missing}`)
    skip(`kernel.${tag}`, `iptables-restore / iptables-save side by side (${shape})`, missing)
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'kns-bench-'))
    try {
      const doc = nodeDocument(nr).text
      writeFileSync(join(dir, 'doc.txt'), doc)
      writeFileSync(join(dir, 'restore.txt'), nr.restore)
      writeFileSync(join(dir, 'restore2.txt'), inc.value.restore)
      await withNetns(async ns => {
        const load = await execIn(ns, 'iptables-restore', [], join(dir, 'doc.txt'))
        if (load.code !== 0) throw new Error(`iptables-restore failed (${load.code}): ${load.stderr.slice(0, 300)}`)
        emit({ id: `kernel.restore.${tag}`, label: `real iptables-restore of the node's tables into a fresh netns (${shape})`, value: fix(load.ms, 0), cpuMs: fix(load.cpuMs, 1), unit: 'ms', services: N, note: `${doc.split('\n').length.toLocaleString('en-US')} lines, CPU ${load.cpuMs.toFixed(0)} ms; ours renders it in ${full.ms.toFixed(0)} ms (CPU ${full.cpuMs.toFixed(0)} ms)` })
        emit({ id: `kernel.restore-ratio.${tag}`, label: `iptables-restore time ÷ our full render (${shape})`, value: fix(load.ms / full.ms, 1), unit: '×', services: N, note: `on CPU time: ${(load.cpuMs / full.cpuMs).toFixed(1)}×` })
        const dump = await execIn(ns, 'iptables-save', [])
        if (dump.code !== 0) throw new Error(`iptables-save failed: ${dump.stderr.slice(0, 300)}`)
        const ours = saveView(nr, { date: new Date() }, cache)
        const d = lineDiff(withoutComments(dump.stdout), withoutComments(ours))
        const same = d.onlyA.length === 0 && d.onlyB.length === 0
        emit({ id: `kernel.save.${tag}`, label: `real iptables-save of those tables (${shape})`, value: fix(dump.ms, 0), cpuMs: fix(dump.cpuMs, 1), unit: 'ms', services: N, note: `CPU ${dump.cpuMs.toFixed(0)} ms; ours ${save.ms.toFixed(0)} ms (CPU ${save.cpuMs.toFixed(0)} ms); output ${same ? 'identical (comment lines aside)' : `DIFFERS: ${d.onlyA.length} lines only in the kernel's, ${d.onlyB.length} only in ours`}` })
        emit({ id: `kernel.save-ratio.${tag}`, label: `iptables-save time ÷ our save view (${shape})`, value: fix(dump.ms / save.ms, 1), unit: '×', services: N, note: `on CPU time: ${(dump.cpuMs / save.cpuMs).toFixed(1)}×` })
        emit({ id: `kernel.save-identical.${tag}`, label: `our save view = real iptables-save (${shape})`, value: same ? 1 : 0, unit: 'bool', services: N, target: { op: '>=', value: 1 } })
        if (!same) console.log(`first differences: kernel ${JSON.stringify(d.onlyA.slice(0, 3))} ours ${JSON.stringify(d.onlyB.slice(0, 3))}`)
        // one kube-proxy sync after one service changed: the whole restore data, --noflush --counters
        if (!doSync) return
        const sync = await execIn(ns, 'iptables-restore', ['--noflush', '--counters'], join(dir, 'restore2.txt'))
        if (sync.code !== 0) throw new Error(`iptables-restore --noflush failed: ${sync.stderr.slice(0, 300)}`)
        emit({ id: `kernel.sync.${tag}`, label: `real iptables-restore --noflush of a full sync after 1 change (${shape})`, value: fix(sync.ms, 0), cpuMs: fix(sync.cpuMs, 1), unit: 'ms', services: N, note: `CPU ${sync.cpuMs.toFixed(0)} ms; ours re-renders in ${inc.ms.toFixed(1)} ms (${(sync.ms / inc.ms).toFixed(0)}× less)` })
      })
    } catch (e) {
      console.log(`kernel side by side failed: ${(e as Error).message}`)
      skip(`kernel.${tag}`, `iptables-restore / iptables-save side by side (${shape})`, (e as Error).message)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
