import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { hash16, sha256Words } from '../../src/cluster/kubeproxy/hash.ts'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** reference: node:crypto digest, base32 bit by bit */
function reference (s: string): string {
  const d = createHash('sha256').update(s, 'utf8').digest()
  let out = ''
  for (let bit = 0; out.length < 16; bit += 5) {
    let v = 0
    for (let k = 0; k < 5; k++) v = (v << 1) | ((d[(bit + k) >> 3] >> (7 - ((bit + k) & 7))) & 1)
    out += BASE32[v]
  }
  return out
}

test('sha256Words and hash16 agree with node:crypto (block boundaries, UTF-8, long inputs)', () => {
  const inputs = ['', 'a', 'ns1/svc1:p80tcp', 'ns1/svc1:p80tcp10.180.0.1:80', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(63),
    'x'.repeat(64), 'x'.repeat(119), 'x'.repeat(120), 'a'.repeat(1000), 'é'.repeat(40), 'ns/名前:http' + 'tcp[fd00::1]:8080']
  for (let i = 0; i < 500; i++) inputs.push(`ns-${i % 7}/svc-${i * 31}:port-${i % 3}tcp10.${i & 255}.${(i * 7) & 255}.1:${8000 + i}`)
  for (const s of inputs) {
    const d = createHash('sha256').update(s, 'utf8').digest()
    const w = sha256Words(s)
    for (let k = 0; k < 8; k++) assert.equal(w[k], d.readInt32BE(k * 4), s)
    assert.equal(hash16(s), reference(s), s)
  }
})

test('hash16 of two parts equals the hash of the joined string', () => {
  for (const [a, b] of [['ns/svc:httptcp', '10.0.0.1:80'], ['', ''], ['x'.repeat(60), 'y'.repeat(10)], ['ns/s:ptcp', '[fd00::é]:1'], ['é', 'ü'.repeat(70)]]) {
    assert.equal(hash16(a, b), hash16(a + b))
    assert.equal(hash16(a, b), reference(a + b))
  }
})
