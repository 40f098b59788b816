// Fuzzes parseRuleset with random and mutated iptables-save text (test/fuzz/parser-inputs.ts).
// Every input must parse or throw the engine's NetfilterError, each within a time bound.
// Usage: npx tsx scripts/fuzz-parser.ts [runs=10000] [seed=20261126] [boundMs=5000]
import fc from 'fast-check'
import { anyRuleset, parseWithin } from '../test/fuzz/parser-inputs.ts'

const runs = Number(process.argv[2] ?? 10_000)
const seed = Number(process.argv[3] ?? 20261126)
const bound = Number(process.argv[4] ?? 5000)
let parsed = 0
let rejected = 0
let maxMs = 0
let bytes = 0
const codes = new Map<string, number>()
const t0 = performance.now()
fc.assert(fc.property(anyRuleset, (text) => {
  bytes += text.length
  const { ms, code } = parseWithin(text, bound)
  maxMs = Math.max(maxMs, ms)
  if (code === null) parsed++
  else {
    rejected++
    codes.set(code, (codes.get(code) ?? 0) + 1)
  }
}), { numRuns: runs, seed })
console.log(`parseRuleset fuzz: ${runs} inputs (seed ${seed}, ${(bytes / 1024).toFixed(0)} KiB), ${parsed} parsed, ${rejected} NetfilterError, 0 other errors; slowest input ${maxMs.toFixed(1)} ms; total ${((performance.now() - t0) / 1000).toFixed(1)} s`)
console.log(`error codes: ${JSON.stringify(Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])))}`)
