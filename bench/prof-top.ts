/**
 * Summarises a V8 CPU profile (from `node --cpu-prof`): the functions with the most self time, and
 * self time per file. Used to write the findings in docs/perf-findings.md.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/scale.ts --services 10000
 *   npx tsx bench/prof-top.ts /tmp/prof/CPU.*.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs'
import { flags } from './lib/figures.ts'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

const f = flags()
const top = Number(f.get('top') ?? 25)
const files = process.argv.slice(2).filter(a => !a.startsWith('--') && a !== String(top))
for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(p.nodes.map(n => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0))
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const fn = new Map<string, number>()
  const perFile = new Map<string, number>()
  for (const [id, us] of self) {
    const n = byId.get(id)!
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/work\/main\//, '')
    const key = `${n.callFrame.functionName === '' ? '(anonymous)' : n.callFrame.functionName}  ${url}:${n.callFrame.lineNumber + 1}`
    fn.set(key, (fn.get(key) ?? 0) + us)
    const fk = url === '' ? n.callFrame.functionName : url.includes('node_modules/') ? url.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, 'node_modules/$1') : url
    perFile.set(fk, (perFile.get(fk) ?? 0) + us)
  }
  const pct = (us: number): string => `${(us / total * 100).toFixed(1).padStart(5)}%`
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`)
  console.log('  self time by function:')
  for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)} ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
  // inclusive time of our own functions (src/): self time of the whole subtree, counted once per path
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const incl = new Map<string, number>()
  for (const [id, us] of self) {
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur != null; cur = parent.get(cur)) {
      const n = byId.get(cur)!
      const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/work\/main\//, '')
      if (!url.startsWith('src/')) continue
      const key = `${n.callFrame.functionName === '' ? '(anonymous)' : n.callFrame.functionName}  ${url}:${n.callFrame.lineNumber + 1}`
      if (seen.has(key)) continue
      seen.add(key)
      incl.set(key, (incl.get(key) ?? 0) + us)
    }
  }
  console.log('  inclusive time of src/ functions:')
  for (const [k, us] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)} ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
  console.log('  self time by file/package:')
  for (const [k, us] of [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(us)} ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
}
