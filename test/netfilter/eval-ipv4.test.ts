// The evaluator's address helpers have allocation-free fast paths (a hand-written dotted-quad parser,
// a memo of formatted addresses); both must answer exactly what the plain definitions answer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ipToU32, u32ToIp, maskToPrefix, prefixToMask } from '../../src/netfilter/eval/ipv4.ts'

/** The plain definitions, written out independently. */
function refParse (s: string): number | string {
  const parts = s.trim().split('.')
  if (parts.length !== 4 || parts.some(p => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return 'error'
  return parts.reduce((n, p) => n * 256 + Number(p), 0)
}
const refFormat = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
const parse = (s: string): number | string => { try { return ipToU32(s) } catch { return 'error' } }

test('ipToU32 accepts and rejects exactly what the strict dotted-quad definition does', () => {
  for (const s of ['1.2.3.4', '0.0.0.0', '255.255.255.255', ' 10.0.0.1 ', '01.002.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1',
    '1..2.3', '1.2.3.', '.1.2.3', 'a.b.c.d', '1234.1.1.1', '', '1.2.3.-4', '1.2.3.4/32', '１.2.3.4']) {
    assert.equal(parse(s), refParse(s), JSON.stringify(s))
  }
  fc.assert(fc.property(fc.array(fc.oneof(fc.constantFrom('.', ' ', '0', '9', '25', '255', '256', 'x', '1000')), { maxLength: 9 }), (pieces) => {
    const s = pieces.join('')
    assert.equal(parse(s), refParse(s), JSON.stringify(s))
  }), { numRuns: 2000, seed: 3 })
})

test('u32ToIp formats every address like the plain definition, whatever the memo holds', () => {
  // addresses that share memo slots and signed 32-bit values, interleaved so slots are overwritten
  const values = [0, 1, 0xffffffff, -1, 0x80000000, -2147483648, 0x0a600000, 0x0a600400, 0x0a600800, 0xc0a83201, 1024, 1 << 20]
  for (let round = 0; round < 3; round++) for (const v of values) assert.equal(u32ToIp(v), refFormat(v), String(v))
  fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: 0, max: 4096 })), { minLength: 1, maxLength: 50 }), (ns) => {
    for (const n of [...ns, ...ns.reverse()]) assert.equal(u32ToIp(n), refFormat(n))
  }), { numRuns: 500, seed: 5 })
})

test('maskToPrefix: the /32 shortcut agrees with the general answer', () => {
  for (let len = 0; len <= 32; len++) assert.equal(maskToPrefix(prefixToMask(len)), len)
  assert.equal(maskToPrefix(0xffffffff | 0), 32)
  assert.equal(maskToPrefix(0xff00ff00), null)
})
