/**
 * Why the trace path builds no object with a spread that comes first in a literal (`{ ...a, k: v }`):
 * on Node 20 (V8 11.3) each such object made the young objects allocated around it survive young
 * collections, so they were promoted and became old-generation garbage (page faults on this host,
 * longer collections). This script does the same small piece of work three ways and prints how much
 * the old generation grows per 100,000 calls (what young collections promoted; no full collection
 * runs in between): a spread, Object.assign, a plain literal.
 *
 *   npx tsx bench/v8-spread.ts
 */
import { getHeapSpaceStatistics } from 'node:v8'

const oldUsed = (): number => getHeapSpaceStatistics().find(s => s.space_name === 'old_space')?.space_used_size ?? 0
let sink = 0

function work (i: number, how: 'spread' | 'assign' | 'literal'): number {
  // some short-lived objects, as a trace makes
  const kids: Array<{ k: number, v: number[] }> = []
  for (let k = 0; k < 20; k++) kids.push({ k, v: [k, i] })
  const a = { x: i, y: 2 }
  const b = how === 'spread' ? { ...a, w: kids.length } : how === 'assign' ? Object.assign({}, a, { w: kids.length }) : { x: a.x, y: a.y, w: kids.length }
  return b.w + kids[i % 20].k
}

for (const how of ['spread', 'assign', 'literal', 'spread', 'assign', 'literal'] as const) {
  for (let i = 0; i < 200_000; i++) sink += work(i, how) // warm up
  const before = oldUsed()
  const t0 = performance.now()
  const n = 1_000_000
  for (let i = 0; i < n; i++) sink += work(i, how)
  const ms = performance.now() - t0
  const grown = Math.max(0, oldUsed() - before)
  console.log(`${how.padEnd(7)}: old generation +${(grown / 1024 / (n / 100_000)).toFixed(0).padStart(6)} KiB per 100,000 calls, ${(ms * 1000 / n).toFixed(2)} µs per call`)
}
if (sink === 42) console.log('')
