/**
 * Fuzzing parseRuleset (bounded here; scripts/fuzz-parser.ts runs 10,000 inputs): random and mutated
 * iptables-save text either parses or throws the engine's own NetfilterError, never anything else,
 * and each input parses within a time bound.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { anyRuleset, parseWithin } from './parser-inputs.ts'

const RUNS = Number(process.env.FUZZ_RUNS ?? 1500)
const BOUND_MS = Number(process.env.FUZZ_BOUND_MS ?? 5000)

test(`parseRuleset: ${RUNS} random and mutated inputs: parse or NetfilterError, each within ${BOUND_MS} ms`, () => {
  let parsed = 0
  let rejected = 0
  fc.assert(fc.property(anyRuleset, (text) => {
    if (parseWithin(text, BOUND_MS).code === null) parsed++
    else rejected++
  }), { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261126) })
  assert.equal(parsed + rejected, RUNS)
  assert.ok(parsed > 0 && rejected > 0, `both outcomes seen (parsed ${parsed}, rejected ${rejected})`)
})
