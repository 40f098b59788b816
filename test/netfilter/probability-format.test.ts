// statistic probability arithmetic (lround(p·2^31), printf "%.11f") and the small value helpers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatProbability, quantizeProbability, probabilityValue, saveString, parseIPv4, formatIPv4, maskToPrefix, formatMask } from '../../src/netfilter/index.ts'

test('quantise like lround(p * 2^31) and print like printf %.11f (values from the doc and glibc printf)', () => {
  const rows: Array<[number, number, string]> = [
    [0.3333333333, 715827883, '0.33333333349'],
    [0.33333, 715820724, '0.33332999982'],
    [0.5, 1073741824, '0.50000000000'],
    [0.25, 536870912, '0.25000000000'],
    [0.2, 429496730, '0.20000000019'],
    [0.1, 214748365, '0.10000000009'],
    [1 / 7, 306783378, '0.14285714272'],
    [1, 2147483648, '1.00000000000'],
    [0, 0, '0.00000000000']
  ]
  for (const [p, u, s] of rows) {
    assert.equal(quantizeProbability(p), u)
    assert.equal(formatProbability(u), s)
    assert.equal(probabilityValue(u), u / 2147483648)
  }
})

test('exact ties round half to even like glibc printf', () => {
  assert.equal(formatProbability(524288), '0.00024414062')
  assert.equal(formatProbability(1572864), '0.00073242188')
  assert.equal(formatProbability(1), '0.00000000047')
  assert.equal(formatProbability(2147483647), '0.99999999953')
})

test('quantizeProbability refuses values outside 0..1', () => {
  assert.throws(() => quantizeProbability(1.5), RangeError)
  assert.throws(() => quantizeProbability(Number.NaN), RangeError)
})

test('xtables_save_string quoting', () => {
  assert.equal(saveString('simple'), 'simple')
  assert.equal(saveString('a_b-C9'), 'a_b-C9')
  assert.equal(saveString(''), '""')
  assert.equal(saveString('ns1/svc1:p80'), '"ns1/svc1:p80"')
  assert.equal(saveString('a\\b'), '"a\\\\b"')
  assert.equal(saveString('it\'s "new" '), '"it\\\'s \\"new\\" "')
})

test('IPv4 helpers: partial and base-0 components, masks', () => {
  assert.equal(parseIPv4('10.1'), 0x0a010000)
  assert.equal(parseIPv4('0x7f.1'), 0x7f010000)
  assert.equal(parseIPv4('010.0.0.1'), 0x08000001)
  assert.equal(parseIPv4('1.2.3.4.5'), null)
  assert.equal(parseIPv4('256.1.1.1'), null)
  assert.equal(parseIPv4('1..2'), null)
  assert.equal(formatIPv4(0xc0a80101), '192.168.1.1')
  assert.equal(maskToPrefix(0xffffff00), 24)
  assert.equal(maskToPrefix(0xff00ff00), -1)
  assert.equal(formatMask(0xff00ff00), '255.0.255.0')
  assert.equal(formatMask(0), '0')
})
