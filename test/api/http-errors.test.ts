/** The HTTP envelope: every error is a Kubernetes Status (parsing, sizes, media types, routes), YAML bodies work. */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { base, build, newCluster, type Built } from '../helper.ts'

const S = base('c') + '/namespaces/default/services'

describe('http envelope', () => {
  let b: Built
  const hooks: Array<() => Promise<void> | void> = []
  before(async () => {
    b = await build({ after: (fn) => { hooks.push(fn) } }, { limits: { bodyLimit: 4096 } })
    await newCluster(b.api, 'c')
  })
  after(async () => { for (const h of hooks) await h() })

  const isStatus = (body: Record<string, unknown>, code: number, reason: string): void => {
    assert.equal(body.kind, 'Status')
    assert.equal(body.apiVersion, 'v1')
    assert.equal(body.status, 'Failure')
    assert.equal(body.code, code)
    assert.equal(body.reason, reason)
  }

  it('GET /healthz', async () => {
    const r = await b.api.get('/healthz')
    assert.equal(r.status, 200)
    assert.deepEqual(r.body, { status: 'ok' })
  })

  it('accepts a YAML body', async () => {
    const r = await b.api.post(S).set('content-type', 'application/yaml').send('apiVersion: v1\nkind: Service\nmetadata:\n  name: from-yaml\nspec:\n  ports:\n  - port: 8080\n')
    assert.equal(r.status, 201, JSON.stringify(r.body))
    assert.equal(r.body.spec.ports[0].port, 8080)
  })

  it('malformed JSON → 400 with line and column', async () => {
    const r = await b.api.post(S).set('content-type', 'application/json').send('{\n  "metadata": {"name": "x"},\n  "spec": {"ports": [}\n}')
    assert.equal(r.status, 400)
    isStatus(r.body, 400, 'BadRequest')
    assert.match(r.body.message, /^json parse error at line 3, column 22: /)
  })

  it('malformed YAML → 400 with line', async () => {
    const r = await b.api.post(S).set('content-type', 'application/yaml').send('metadata:\n  name: x\nspec: {ports: [\n')
    assert.equal(r.status, 400)
    isStatus(r.body, 400, 'BadRequest')
    assert.match(r.body.message, /^yaml parse error at line \d+, column \d+/)
  })

  it('several YAML documents on an object endpoint → 400', async () => {
    const r = await b.api.post(S).set('content-type', 'application/yaml').send('metadata: {name: a}\n---\nmetadata: {name: b}\n')
    assert.equal(r.status, 400)
    assert.match(r.body.message, /2 documents/)
  })

  it('empty or non-object bodies → 400', async () => {
    const e = await b.api.post(S).set('content-type', 'application/json').send('')
    assert.equal(e.status, 400)
    const arr = await b.api.post(S).send([1, 2])
    assert.equal(arr.status, 400)
    isStatus(arr.body, 400, 'BadRequest')
  })

  it('oversized body → 413 RequestEntityTooLarge, nothing written', async () => {
    const big = { metadata: { name: 'big', annotations: { pad: 'x'.repeat(5000) } }, spec: { ports: [{ port: 80 }] } }
    const r = await b.api.post(S).send(big)
    assert.equal(r.status, 413)
    isStatus(r.body, 413, 'RequestEntityTooLarge')
    assert.match(r.body.message, /limit is 4096/)
    assert.equal((await b.api.get(S + '/big')).status, 404)
  })

  it('unsupported media type → 415', async () => {
    const r = await b.api.post(S).set('content-type', 'text/plain').send('hello')
    assert.equal(r.status, 415)
    isStatus(r.body, 415, 'UnsupportedMediaType')
  })

  it('unknown route → 404 Status', async () => {
    const r = await b.api.get('/api/v1/nothing-here')
    assert.equal(r.status, 404)
    isStatus(r.body, 404, 'NotFound')
    assert.equal(r.body.message, 'the server could not find the requested resource')
  })

  it('a wrong kind for the endpoint → 400', async () => {
    const r = await b.api.post(S).send({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: {} })
    assert.equal(r.status, 400)
    isStatus(r.body, 400, 'BadRequest')
  })
})

describe('DELETE bodies', () => {
  it('accepts DeleteOptions or an empty JSON body, as kubectl sends them', async (t) => {
    const { api } = await build(t)
    await newCluster(api, 'c')
    const S2 = base('c') + '/namespaces/default/services'
    await api.post(S2).send({ metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } })
    await api.post(S2).send({ metadata: { name: 'b' }, spec: { ports: [{ port: 80 }] } })
    const withOptions = await api.delete(S2 + '/a').send({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' })
    assert.equal(withOptions.status, 200)
    const empty = await api.delete(S2 + '/b').set('content-type', 'application/json').send('')
    assert.equal(empty.status, 200)
  })
})
