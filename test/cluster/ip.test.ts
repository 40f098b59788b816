import { test } from 'node:test'
import assert from 'node:assert/strict'
import { canonicalIP, cidrContainsString, cidrsOverlap, isCanonicalCIDR, parseCIDR, parseIP } from '../../src/cluster/ip.ts'

test('strict IPv4 parsing rejects legacy forms', () => {
  for (const bad of ['010.1.1.1', '1', '10.1', '256.0.0.1', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4%eth0', '0x1.2.3.4', '']) {
    assert.equal(parseIP(bad), null, bad)
  }
  assert.equal(canonicalIP('10.98.128.179'), '10.98.128.179')
  assert.equal(parseIP('0.0.0.0')?.value, 0n)
})

test('IPv6 parsing and RFC 5952 output', () => {
  assert.equal(canonicalIP('2001:DB8:0:0:0:0:0:1'), '2001:db8::1')
  assert.equal(canonicalIP('::'), '::')
  assert.equal(canonicalIP('::ffff:10.0.0.1'), '::ffff:a00:1')
  assert.equal(canonicalIP('1:2:3:4:5:6:1.2.3.4'), '1:2:3:4:5:6:102:304')
  assert.equal(canonicalIP('1:0:0:2:0:0:0:3'), '1:0:0:2::3')
  assert.equal(canonicalIP('fe80::1:0:0:1'), 'fe80::1:0:0:1')
  for (const bad of ['1.2.3.4::', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4', '1::2::3', '12345::', 'fe80::1%eth0', ':::', '1:2:3:4:5:6:7:8:9', 'g::1']) assert.equal(parseIP(bad), null, bad)
})

test('CIDR parsing, containment, overlap', () => {
  assert.equal(parseCIDR('10.96.0.0/012'), null)
  assert.equal(parseCIDR('10.96.0.0/33'), null)
  assert.equal(parseCIDR('10.96.0.0'), null)
  assert.equal(isCanonicalCIDR('10.96.0.0/12'), true)
  assert.equal(isCanonicalCIDR('10.96.0.5/12'), false)
  assert.equal(cidrContainsString('10.96.0.0/12', '10.111.255.254'), true)
  assert.equal(cidrContainsString('10.96.0.0/12', '10.112.0.1'), false)
  assert.equal(cidrsOverlap(parseCIDR('10.96.0.0/12')!, parseCIDR('10.100.0.0/16')!), true)
  assert.equal(cidrsOverlap(parseCIDR('10.96.0.0/12')!, parseCIDR('10.244.0.0/16')!), false)
})
