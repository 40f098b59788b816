import { test } from 'node:test'
import assert from 'node:assert/strict'
import { alreadyExists, conflict, fieldErrorMessage, fieldInvalid, fieldRequired, fieldForbidden, fieldDuplicate, fieldNotSupported, internalError, invalid, notFound } from '../../src/cluster/errors.ts'

test('fieldErrorMessage renders values like the API server', () => {
  const cases: Array<[ReturnType<typeof fieldInvalid>, string]> = [
    [fieldInvalid('spec.ports[0].nodePort', 80, 'provided port is not in the valid range. The range of valid ports is 30000-32767'),
      'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767'],
    [fieldInvalid('spec.ports[0].name', 'HTTP', 'x'), 'spec.ports[0].name: Invalid value: "HTTP": x'],
    [fieldInvalid('spec.clusterIPs', ['10.96.0.42'], 'failed'), 'spec.clusterIPs: Invalid value: ["10.96.0.42"]: failed'],
    [fieldRequired('spec.ports'), 'spec.ports: Required value'],
    [fieldRequired('metadata.name', 'name or generateName is required'), 'metadata.name: Required value: name or generateName is required'],
    [fieldForbidden('spec.ports[0].nodePort', "may not be used when `type` is 'ClusterIP'"), "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    [fieldDuplicate('spec.ports[2].name', '443'), 'spec.ports[2].name: Duplicate value: "443"'],
    [fieldNotSupported('spec.type', 'Foo', ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']),
      'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']
  ]
  for (const [e, want] of cases) assert.equal(fieldErrorMessage(e), want)
})

test('invalid() builds the metav1.Status of NewInvalid', () => {
  const e = invalid('Service', 'web-dup', [fieldInvalid('spec.ports[0].nodePort', 30080, 'provided port is already allocated')])
  assert.equal(e.code, 422)
  assert.deepEqual(e.status, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Service "web-dup" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
    reason: 'Invalid',
    details: { name: 'web-dup', kind: 'Service', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 30080: provided port is already allocated', field: 'spec.ports[0].nodePort' }] },
    code: 422
  })
  assert.deepEqual(Object.keys(e.status), ['kind', 'apiVersion', 'metadata', 'status', 'message', 'reason', 'details', 'code'])
})

test('several causes are aggregated in brackets, duplicates once', () => {
  const a = fieldRequired('spec.ports[1].name')
  const b = fieldInvalid('spec.ports[1].port', 0, 'must be between 1 and 65535, inclusive')
  const e = invalid('Service', 'two', [a, b, a])
  assert.equal(e.message, 'Service "two" is invalid: [spec.ports[1].name: Required value, spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive]')
  assert.equal(e.status.details?.causes?.length, 3)
})

test('409/404/500 texts', () => {
  assert.equal(alreadyExists('services', 'web').message, 'services "web" already exists')
  assert.deepEqual(alreadyExists('services', 'web').status.details, { name: 'web', kind: 'services' })
  assert.equal(notFound('services', 'web').status.code, 404)
  assert.equal(notFound('services', 'web').message, 'services "web" not found')
  const c = conflict('services', 'web')
  assert.equal(c.status.reason, 'Conflict')
  assert.equal(c.message, 'Operation cannot be fulfilled on services "web": the object has been modified; please apply your changes to the latest version and try again')
  const i = internalError('failed to allocate a nodePort: range is full')
  assert.equal(i.message, 'Internal error occurred: failed to allocate a nodePort: range is full')
  assert.deepEqual(i.status.details, { causes: [{ message: 'failed to allocate a nodePort: range is full' }] })
})
