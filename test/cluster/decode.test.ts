import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeNode, decodePod, decodeService } from '../../src/cluster/decode.ts'
import { StatusError } from '../../src/cluster/errors.ts'

function err (fn: () => unknown): StatusError {
  try { fn() } catch (e) { if (e instanceof StatusError) return e; throw e }
  assert.fail('expected StatusError')
}

test('valid objects decode; intOrString targetPort; nulls dropped', () => {
  const s = decodeService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', labels: null }, spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 8081, nodePort: null }], selector: { app: 'web' } } })
  assert.deepEqual(s.spec.ports, [{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 8081 }])
  assert.deepEqual(s.metadata, { name: 'web' })
  const p = decodePod({ metadata: { name: 'p', managedFields: [] }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { limits: { cpu: '1' } }, ports: [{ containerPort: 80 }] }] } })
  assert.equal(p.kind, 'Pod')
  assert.deepEqual((p.spec.containers[0] as unknown as Record<string, unknown>).resources, { limits: { cpu: '1' } })
  const n = decodeNode({ metadata: { name: 'n' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.10' }], capacity: { cpu: '4' } } })
  assert.equal(n.status.addresses[0].address, '192.168.1.10')
})

test('unknown fields are rejected with their paths (strict decoding)', () => {
  const e = err(() => decodeService({ metadata: { name: 'web' }, spec: { foo: 1, ports: [{ port: 80, bar: true }] }, extra: {} }))
  assert.equal(e.code, 400)
  assert.equal(e.message, 'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo", unknown field "spec.ports[0].bar", unknown field "extra"')
  assert.deepEqual(e.status.details?.causes?.map(c => c.field), ['spec.foo', 'spec.ports[0].bar', 'extra'])
})

test('wrong JSON types are rejected with the Go unmarshal text and the exact path', () => {
  const cases: Array<[unknown, string, string]> = [
    [{ spec: { ports: [{ port: '80' }] } }, 'json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32', 'spec.ports[0].port'],
    [{ spec: { ports: [{ port: 80, targetPort: true }] } }, 'json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type intstr.IntOrString', 'spec.ports[0].targetPort'],
    [{ spec: { ports: [{ port: 2.5 }] } }, 'json: cannot unmarshal number 2.5 into Go struct field ServicePort.spec.ports.port of type int32', 'spec.ports[0].port'],
    [{ spec: { selector: ['a'] } }, 'json: cannot unmarshal array into Go struct field ServiceSpec.spec.selector of type map[string]string', 'spec.selector'],
    [{ spec: { publishNotReadyAddresses: 'yes' } }, 'json: cannot unmarshal string into Go struct field ServiceSpec.spec.publishNotReadyAddresses of type bool', 'spec.publishNotReadyAddresses'],
    [{ spec: 'x' }, 'json: cannot unmarshal string into Go struct field Service.spec of type v1.ServiceSpec', 'spec']
  ]
  for (const [input, msg, field] of cases) {
    const e = err(() => decodeService(input))
    assert.equal(e.code, 400)
    assert.equal(e.message, `Service in version "v1" cannot be handled as a Service: ${msg}`)
    assert.deepEqual(e.status.details?.causes?.map(c => c.field), [field])
  }
})

test('kind and apiVersion must match the endpoint', () => {
  assert.equal(err(() => decodeService({ kind: 'Pod' })).message, 'the kind in the data (Pod) does not match the expected kind (Service)')
  assert.equal(err(() => decodePod({ apiVersion: 'apps/v1' })).message, 'the API version in the data (apps/v1) does not match the expected API version (v1)')
  assert.equal(err(() => decodeNode([])).code, 400)
})
