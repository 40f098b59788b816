/** openapi.yaml is generated from the route schemas; the committed file must match (run `npm run openapi`). */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import YAML from 'yaml'
import { generateOpenApi } from '../../src/api/openapi.ts'
import { build } from '../helper.ts'

describe('openapi', () => {
  it('the committed openapi.yaml equals what the routes generate', async () => {
    const committed = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')
    assert.equal(committed, await generateOpenApi(), 'openapi.yaml is stale: run `npm run openapi`')
  })

  it('describes every issue-2 route with request and response schemas', () => {
    const doc = YAML.parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'))
    const c = '/api/v1/clusters/{cluster}'
    const expected: Array<[string, string]> = [
      ['/healthz', 'get'], ['/api/v1/clusters', 'post'], ['/api/v1/clusters', 'get'], [c, 'get'], [c, 'delete'],
      [`${c}/nodes`, 'get'], [`${c}/nodes`, 'post'], [`${c}/nodes/{name}`, 'get'], [`${c}/nodes/{name}`, 'put'], [`${c}/nodes/{name}`, 'delete'],
      [`${c}/namespaces/{ns}/pods`, 'post'], [`${c}/namespaces/{ns}/pods/{name}`, 'put'],
      [`${c}/namespaces/{ns}/services`, 'get'], [`${c}/namespaces/{ns}/services`, 'post'], [`${c}/namespaces/{ns}/services/{name}`, 'put'], [`${c}/namespaces/{ns}/services/{name}`, 'delete'],
      [`${c}/namespaces/{ns}/endpointslices`, 'get'], [`${c}/nodeports`, 'get'], [`${c}/manifests`, 'post']
    ]
    for (const [path, method] of expected) {
      const op = doc.paths[path]?.[method]
      assert.ok(op != null, `${method.toUpperCase()} ${path} is documented`)
      assert.ok(typeof op.operationId === 'string')
      assert.ok(Object.keys(op.responses).length > 0)
      if (method === 'post' || method === 'put') assert.ok(op.requestBody != null, `${method.toUpperCase()} ${path} has a request body`)
    }
    assert.ok(doc.components.schemas.Service != null)
    assert.ok(doc.components.schemas.Status != null)
  })

  it('Swagger UI is served at /docs', async (t) => {
    const { api } = await build(t, { docs: true })
    const r = await api.get('/docs/').redirects(1)
    assert.equal(r.status, 200)
    assert.match(r.text, /swagger/i)
  })
})
