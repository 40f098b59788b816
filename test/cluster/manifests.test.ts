import { test } from 'node:test'
import assert from 'node:assert/strict'
import { StatusError } from '../../src/cluster/errors.ts'
import { parseManifests } from '../../src/cluster/manifests.ts'

function err (fn: () => unknown): StatusError {
  try { fn() } catch (e) { if (e instanceof StatusError) return e; throw e }
  assert.fail('expected StatusError')
}

test('multi-document YAML: empty documents and comments skipped, doc index kept', () => {
  const text = 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n# only a comment\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n'
  const out = parseManifests(text, 'yaml')
  assert.deepEqual(out.map(o => [o.doc, o.obj.kind]), [[0, 'Service'], [2, 'Pod']])
  assert.deepEqual(parseManifests('', 'yaml'), [])
  assert.equal(parseManifests('a: "on"\nb: on\n', 'yaml')[0].obj.b, 'on') // YAML 1.2 core schema
})

test('YAML errors name the document, line and column (400)', () => {
  const e = err(() => parseManifests('kind: Service\n---\nkind: Pod\nmetadata:\n  name: [a, b\n', 'yaml'))
  assert.equal(e.code, 400)
  assert.equal(e.status.reason, 'BadRequest')
  assert.match(e.message, /^invalid YAML in document 2 at line \d+, column \d+: /)
  assert.equal(err(() => parseManifests('a: 1\na: 2\n', 'yaml')).message, 'invalid YAML in document 1 at line 2, column 1: Map keys must be unique')
  assert.equal(err(() => parseManifests('kind: A\n---\n- 1\n- 2\n', 'yaml')).message, 'document 2 (line 3): expected a mapping (a manifest with apiVersion and kind), got a list')
})

test('JSON: object, List, and syntax errors with line/column', () => {
  assert.deepEqual(parseManifests('{"kind":"Service"}', 'json'), [{ doc: 0, obj: { kind: 'Service' } }])
  const list = parseManifests('{"apiVersion":"v1","kind":"List","items":[{"kind":"Service"},{"kind":"Pod"}]}', 'json')
  assert.deepEqual(list.map(o => o.obj.kind), ['Service', 'Pod'])
  assert.equal(err(() => parseManifests('{\n  "kind": "Service",\n  "spec": }\n}', 'json')).message, "invalid JSON in document 1 at line 3, column 11: Unexpected token '}'")
  assert.match(err(() => parseManifests('{"a": 1', 'json')).message, /^invalid JSON in document 1 at line 1, column 8: /)
  assert.equal(err(() => parseManifests('[1]', 'json')).message, 'document 1: expected a JSON object (a manifest or a List), got a list')
  assert.equal(err(() => parseManifests('{"kind":"List","items":[1]}', 'json')).message, 'document 1: items[0] must be an object, got a number')
})
