import { test } from 'node:test'
import assert from 'node:assert/strict'
import { StatusError } from '../../src/cluster/errors.ts'
import { nextPodCIDR, nextPodIP } from '../../src/cluster/ipam.ts'

test('podCIDRs are sequential /24s and reuse the lowest free one', () => {
  const used = new Set<string>()
  const got: string[] = []
  for (let i = 0; i < 3; i++) { const c = nextPodCIDR('10.244.0.0/16', used); got.push(c); used.add(c) }
  assert.deepEqual(got, ['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24'])
  used.delete('10.244.1.0/24')
  assert.equal(nextPodCIDR('10.244.0.0/16', used), '10.244.1.0/24')
  assert.equal(nextPodCIDR('10.244.0.0/16', new Set(), 26), '10.244.0.0/26')
  assert.equal(nextPodCIDR('fd00:10::/56', new Set()), 'fd00:10::/64')
})

test('podCIDR exhaustion', () => {
  const used = new Set(['10.244.0.0/24', '10.244.1.0/24'])
  assert.throws(() => nextPodCIDR('10.244.0.0/23', used), (e: unknown) => e instanceof StatusError && e.message === 'Internal error occurred: CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range')
})

test('pod IPs: gateway .1 skipped, first pod .2, round robin after the last reserved, wrap', () => {
  assert.equal(nextPodIP('10.244.1.0/24', new Set()), '10.244.1.2')
  assert.equal(nextPodIP('10.244.1.0/24', new Set(['10.244.1.2']), '10.244.1.2'), '10.244.1.3')
  // freed .2 is not reused before the wrap
  assert.equal(nextPodIP('10.244.1.0/24', new Set(['10.244.1.3']), '10.244.1.3'), '10.244.1.4')
  assert.equal(nextPodIP('10.244.1.0/24', new Set(), '10.244.1.254'), '10.244.1.2')
  assert.equal(nextPodIP('10.244.1.0/24', new Set(['10.244.1.254']), '10.244.1.253'), '10.244.1.2')
  assert.equal(nextPodIP('10.244.0.0/24', new Set(['10.244.0.113', '10.244.0.114']), '10.244.0.114'), '10.244.0.115')
})

test('pod IP exhaustion text names the range set', () => {
  const used = new Set<string>()
  for (let i = 2; i <= 254; i++) used.add(`10.244.1.${i}`)
  assert.throws(() => nextPodIP('10.244.1.0/24', used, '10.244.1.100'), (e: unknown) => e instanceof StatusError && e.message === 'Internal error occurred: no IP addresses available in range set: 10.244.1.1-10.244.1.254')
  assert.equal(nextPodIP('10.244.1.0/30', new Set()), '10.244.1.2')
  assert.throws(() => nextPodIP('10.244.1.0/30', new Set(['10.244.1.2'])), /no IP addresses available in range set: 10\.244\.1\.1-10\.244\.1\.2$/)
})
