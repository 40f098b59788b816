/**
 * What a lazily parsed rule costs when it is finally built (src/netfilter/parse/lazy-rules.ts).
 * Parses the synthetic kube-proxy text (default 10,000 services × 5 endpoints) lazily, then reads the
 * rules of every KUBE-SVC chain: in text order, in a scattered order, and scattered with some garbage
 * made between chains, as traces make between the chains they read. Prints µs per rule built and the
 * fresh page faults of each pass. Each pass runs in a process of its own (a pass after another would
 * reuse the memory the first one freed, with fewer fresh pages than a server's first traces see).
 *
 *   npx tsx bench/lazy-build.ts [services] [endpointsPerService]
 */
import { spawnSync } from 'node:child_process'
import { parseRuleset } from '../src/netfilter/index.ts'
import { buildKubeRuleset } from './lib/kube-ruleset.ts'

const args = process.argv.slice(2).filter(a => !a.startsWith('--pass='))
const only = process.argv.find(a => a.startsWith('--pass='))?.slice(7)
const SERVICES = Number(args[0] ?? 10000)
const EPS = Number(args[1] ?? 5)

let sink: unknown[] = []

function pass (label: string, scattered: boolean, garbage: boolean): void {
  const rs = parseRuleset(buildKubeRuleset(SERVICES, EPS), { lazy: true })
  const svc = [...rs.tables.get('nat')!.chains.values()].filter(c => c.name.startsWith('KUBE-SVC-'))
  if (scattered) for (let i = svc.length - 1; i > 0; i--) { const j = (i * 7919) % (i + 1); [svc[i], svc[j]] = [svc[j], svc[i]] }
  const f0 = process.resourceUsage().minorPageFault
  // only the reads are timed (not the garbage made between them)
  let ms = 0
  let n = 0
  for (const c of svc) {
    const t0 = performance.now()
    n += c.rules.length
    ms += performance.now() - t0
    if (garbage) {
      sink = []
      for (let k = 0; k < 300; k++) sink.push({ a: k, b: [k, k], c: 'x' + k })
    }
  }
  console.log(`${label.padEnd(34)} ${(ms * 1000 / n).toFixed(2)} µs per rule built (${n} rules of ${svc.length} chains), ${process.resourceUsage().minorPageFault - f0} fresh page faults in the pass`)
}

const PASSES: Record<string, [string, boolean, boolean]> = {
  order: ['in text order', false, false],
  scattered: ['scattered', true, false],
  garbage: ['scattered, garbage between chains', true, true]
}
if (only !== undefined) {
  const p = PASSES[only]
  if (p === undefined) throw new Error(`--pass= one of ${Object.keys(PASSES).join(', ')}`)
  pass(...p)
} else {
  console.log(`ruleset: ${SERVICES} services × ${EPS} endpoints, parsed lazily; each pass in a process of its own`)
  for (const name of Object.keys(PASSES)) {
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], ...args, `--pass=${name}`], { stdio: 'inherit' })
    if (r.status !== 0) process.exit(r.status ?? 1)
  }
}
void sink
