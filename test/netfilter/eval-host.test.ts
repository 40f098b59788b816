// Host model: validation, routing decisions (input/output), source selection, address types.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHost, routeInput, routeOutput, addrType, HostError, parseIPv4 } from '../../src/netfilter/index.ts'
import { NODE } from './eval-helpers.ts'

const h = createHost(NODE)
const a = (s: string): number => parseIPv4(s)!

test('createHost rejects malformed interfaces and routes', () => {
  assert.throws(() => createHost({ interfaces: [{ name: 'eth0', addresses: ['1.2.3/24'] }] }), HostError)
  assert.throws(() => createHost({ interfaces: [{ name: 'eth0', addresses: ['1.2.3.4/33'] }] }), HostError)
  assert.throws(() => createHost({ interfaces: [{ name: 'eth0' }, { name: 'eth0' }] }), HostError)
  assert.throws(() => createHost({ interfaces: [{ name: 'eth0', addresses: ['10.0.0.1/24'] }], routes: [{ dst: 'default', via: '192.168.9.1' }] }), /not on a connected network/)
  assert.throws(() => createHost({ interfaces: [], routes: [{ dst: '10.0.0.0/8', dev: 'nope' }] }), /unknown device/)
})

const inputs: Array<[string, string, string, string]> = [
  // src, dst, in, expected kind/dev
  ['192.168.1.5', '192.168.1.1', 'eth0', 'local:eth0'],
  ['192.168.1.5', '10.244.0.1', 'eth0', 'local:cni0'],
  ['192.168.1.5', '10.244.0.7', 'eth0', 'forward:cni0'],
  ['10.244.0.7', '8.8.8.8', 'cni0', 'forward:eth0'],
  ['192.168.1.5', '192.168.1.255', 'eth0', 'local:eth0'],
  ['192.168.1.5', '127.0.0.1', 'eth0', 'drop'],
  ['127.0.0.1', '192.168.1.1', 'eth0', 'drop'],
  ['192.168.1.5', '10.99.3.3', 'eth0', 'drop']
]
for (const [src, dst, dev, want] of inputs) {
  test(`routeInput ${src} → ${dst} on ${dev}: ${want}`, () => {
    const r = routeInput(h, a(src), a(dst), dev)
    assert.equal(r.kind === 'drop' ? 'drop' : `${r.kind}:${r.dev}`, want)
  })
}

test('routeOutput picks device, gateway and source; local destinations go to lo', () => {
  const r = routeOutput(h, 0, a('8.8.8.8'))
  assert.deepEqual(r.kind === 'ok' ? [r.dev, r.src, r.gateway, r.local] : r, ['eth0', a('192.168.1.1'), a('192.168.1.254'), false])
  const p = routeOutput(h, 0, a('10.244.0.9'))
  assert.deepEqual(p.kind === 'ok' ? [p.dev, p.src] : p, ['cni0', a('10.244.0.1')])
  const l = routeOutput(h, 0, a('127.0.0.9'))
  assert.deepEqual(l.kind === 'ok' ? [l.dev, l.src, l.local] : l, ['lo', a('127.0.0.1'), true])
  const o = routeOutput(h, 0, a('10.244.0.1'))
  assert.deepEqual(o.kind === 'ok' ? [o.dev, o.src, o.local] : o, ['lo', a('10.244.0.1'), true])
  const none = routeOutput(createHost({ interfaces: [{ name: 'eth0', addresses: ['192.168.1.1/24'] }] }), 0, a('10.96.0.1'))
  assert.equal(none.kind === 'error' ? none.errno : '', 'ENETUNREACH')
  const loSrc = routeOutput(h, a('127.0.0.1'), a('10.244.0.9'))
  assert.equal(loSrc.kind, 'error', 'loopback source cannot leave cni0 without route_localnet')
})

const types: Array<[string, string, string | undefined]> = [
  ['192.168.1.1', 'LOCAL', undefined],
  ['127.3.4.5', 'LOCAL', undefined],
  ['172.17.0.1', 'LOCAL', undefined],
  ['10.244.0.1', 'UNICAST', 'eth0'],
  ['10.244.0.1', 'LOCAL', 'cni0'],
  ['192.168.1.255', 'BROADCAST', undefined],
  ['255.255.255.255', 'BROADCAST', undefined],
  ['0.1.2.3', 'BROADCAST', undefined],
  ['239.1.1.1', 'MULTICAST', undefined],
  ['8.8.8.8', 'UNICAST', undefined]
]
for (const [addr, want, dev] of types) {
  test(`addrType ${addr}${dev !== undefined ? ` (limit ${dev})` : ''} = ${want}`, () => {
    assert.equal(addrType(h, a(addr), dev), want)
  })
}
