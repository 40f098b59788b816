/**
 * traceJSON writes exactly what JSON.stringify writes, shared fragments included (their text is
 * reused), for the trace response's shapes and the corner cases of JSON.stringify.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { shareFragment, traceJSON, traceJSONBytes } from '../../src/cluster/trace/serialize.ts'

test('the same text as JSON.stringify, corner cases included', () => {
  const shared = shareFragment(Object.freeze({ type: 'rule', rule: '-A X -m comment --comment "a → b" -j Y', n: 3, matched: true }))
  const cases: object[] = [
    {},
    { a: undefined, b: () => 1, c: Symbol('s'), d: null, e: [undefined, () => 1, null, NaN, -0, 1e21, Infinity] },
    { 2: 'two', 1: 'one', z: 'z', a: 'a', quote: '"\\\n\u2028\ud800', when: new Date(0) },
    { kind: 'Trace', paths: [{ hops: [{ steps: [shared, { type: 'event', message: 'x', before: undefined }, shared], packetIn: { src: '10.0.0.1' } }], reply: { hops: [{ steps: [shared] }] } }] },
    { paths: [], reply: null, steps: [1, 'two', [3]], hops: [[1], null, 2] }
  ]
  for (const c of cases) {
    assert.equal(traceJSON(c), JSON.stringify(c))
    assert.equal(traceJSONBytes(c).toString('utf8'), JSON.stringify(c))
  }
  // the fragment's text is kept and reused
  assert.equal(traceJSON({ steps: [shared] }), JSON.stringify({ steps: [shared] }))
})

test('the bytes are the UTF-8 of JSON.stringify, with ASCII and non-ASCII fragments, past the first buffer', () => {
  const arrow = shareFragment(Object.freeze({ type: 'event', message: 'DNAT 10.96.0.1:80 → 10.244.1.5:8080 ⇒ ok' }))
  const plain = shareFragment(Object.freeze({ type: 'rule', rule: '-A KUBE-SERVICES -j KUBE-NODEPORTS', n: 9, matched: true }))
  const steps = Array.from({ length: 400 }, (_, i) => i % 3 === 0 ? arrow : i % 3 === 1 ? plain : { type: 'event', message: `é ${i}`, before: { src: '10.0.0.1' } })
  const big = { kind: 'Trace', summary: 'x → y', paths: [{ hops: [{ steps }], reply: { hops: [{ steps: steps.slice(0, 50) }] } }] }
  for (let n = 0; n < 2; n++) { // the second time from the kept bytes
    const b = traceJSONBytes(big)
    assert.ok(b.length > 16 * 1024)
    assert.deepEqual(b, Buffer.from(JSON.stringify(big)))
  }
})
