/**
 * traceJSON writes exactly what JSON.stringify writes, shared fragments included (their text is
 * reused), for the trace response's shapes and the corner cases of JSON.stringify.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { shareFragment, traceJSON } from '../../src/cluster/trace/serialize.ts'

test('the same text as JSON.stringify, corner cases included', () => {
  const shared = shareFragment(Object.freeze({ type: 'rule', rule: '-A X -m comment --comment "a → b" -j Y', n: 3, matched: true }))
  const cases: object[] = [
    {},
    { a: undefined, b: () => 1, c: Symbol('s'), d: null, e: [undefined, () => 1, null, NaN, -0, 1e21, Infinity] },
    { 2: 'two', 1: 'one', z: 'z', a: 'a', quote: '"\\\n\u2028\ud800', when: new Date(0) },
    { kind: 'Trace', paths: [{ hops: [{ steps: [shared, { type: 'event', message: 'x', before: undefined }, shared], packetIn: { src: '10.0.0.1' } }], reply: { hops: [{ steps: [shared] }] } }] },
    { paths: [], reply: null, steps: [1, 'two', [3]], hops: [[1], null, 2] }
  ]
  for (const c of cases) assert.equal(traceJSON(c), JSON.stringify(c))
  // the fragment's text is kept and reused
  assert.equal(traceJSON({ steps: [shared] }), JSON.stringify({ steps: [shared] }))
})
