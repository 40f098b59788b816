/**
 * Rule-generation benchmark: one node's kube-proxy rules for N services × 10 endpoints (every tenth
 * service a NodePort): full render (the rules and the restore data as the pieces the server streams;
 * also joined into one string, for comparison; then the save view), re-render after changing one
 * service (the rules, and the restore data as the pieces the server streams; also joined into one
 * string, for comparison; the save view as pieces and joined), and RSS. Prints wall-clock and CPU
 * time (user+system of this process: meaningful when the machine is shared and busy).
 * Each size runs in a process of its own, so that its RSS is that size's alone.
 * Run: npx tsx bench/rules.ts [sizes...]   (default 1000 10000 30000)
 */
import { spawnSync } from 'node:child_process'
import { KubeProxyRulesCache, SaveComposer, ctime } from '../src/cluster/kubeproxy/index.ts'
import { cluster } from './rules-input.ts'

interface Span { wall: number, cpu: number }
function measure<T> (f: () => T): [T, Span] {
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const v = f()
  const wall = Number(process.hrtime.bigint() - t0) / 1e6
  const c = process.cpuUsage(c0)
  return [v, { wall, cpu: (c.user + c.system) / 1000 }]
}
const fmt = (s: Span): string => `${s.wall.toFixed(0)} ms (cpu ${s.cpu.toFixed(0)})`

const given = process.argv.slice(2).map(Number).filter(x => x > 0)
const sizes = given.length > 0 ? given : [1000, 10000, 30000]
if (sizes.length > 1) {
  // (the same script and loader, one size per process)
  for (const n of sizes) {
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], String(n)], { stdio: 'inherit' })
    if (r.status !== 0) process.exit(r.status ?? 1)
  }
  process.exit(0)
}
for (const n of sizes) {
  const input = cluster(n)
  const cache = new KubeProxyRulesCache()
  const composer = new SaveComposer()
  const date = ctime(new Date())
  // the rules and the restore data as the pieces the server streams; then joined into one string
  const [nr, tRestore] = measure(() => { const r = cache.render(input, 1); void r.restoreChunks().length; return r })
  const [, tRestoreJoin] = measure(() => nr.restore.length)
  const [save, tSave] = measure(() => composer.compose(nr, date))
  // change one service (new object, new resourceVersion, another port) and re-render
  const k = Math.floor(n / 2)
  const svc = input.services[k]
  input.services[k] = { ...svc, metadata: { ...svc.metadata, resourceVersion: '2' }, spec: { ...svc.spec, ports: [{ ...svc.spec.ports[0], port: 81 }] } }
  const [nr2, tRe] = measure(() => cache.render(input, 2))
  // the restore data as GET …/iptables?format=restore streams it, then as one string
  const [chunks, tReChunks] = measure(() => nr2.restoreChunks())
  const [, tReText] = measure(() => chunks.join('').length)
  const rebuilt = cache.lastRebuilt
  const [pieces, tPieces] = measure(() => composer.chunks(nr2, date))
  const [save2, tJoin] = measure(() => pieces.join(''))
  if (!save2.includes(':81 ') && !save2.includes('--dport 81 ')) throw new Error('change not visible')
  const rss = (process.memoryUsage().rss / 1048576).toFixed(0)
  const lines = save.split('\n').length
  console.log(`${n} services × 10 endpoints (${lines} save lines, ${(save.length / 1e6).toFixed(1)} MB)`)
  console.log(`  full render:  rules + restore data ${fmt(tRestore)} (joined into one string: ${fmt(tRestoreJoin)}), then save view ${fmt(tSave)}`)
  console.log(`  1 change (${rebuilt} service rebuilt): rules ${fmt(tRe)} + restore data ${fmt(tReChunks)} in ${chunks.length} pieces (joined into one string: ${fmt(tReText)}), save view pieces ${fmt(tPieces)} + join ${fmt(tJoin)}`)
  console.log(`  RSS ${rss} MiB (this size alone)`)
}
