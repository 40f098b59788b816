/**
 * Traces reuse the steps they have in common (a rule's step, a chain's return or policy, a routing
 * decision) from one response to the next. Whatever was reused, an answer must be the one a fresh
 * server gives: the same request answers with the same bytes however many other traces ran between,
 * and a long run of traces with different flows changes nothing in it.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { build, type Built } from '../helper.ts'
import { cleanups, createLab, IP, NODE1 } from './fixture.ts'
import { Recurring } from '../../src/cluster/trace/recurring.ts'

const hooks = cleanups()
after(async () => { await hooks.run() })

async function fresh (): Promise<Built['api']> {
  const b = await build(hooks)
  await createLab(b.api)
  return b.api
}

const requests: Array<Record<string, unknown>> = [
  { protocol: 'TCP', destination: { address: IP.web, port: 80 }, source: { pod: 'default/client-1' }, mode: 'sample', seed: 7 },
  { protocol: 'TCP', destination: { address: NODE1.ip, port: 30080 }, source: { address: '203.0.113.9' }, mode: 'all' },
  { protocol: 'TCP', destination: { address: IP.web, port: 80 }, source: { node: NODE1.name }, mode: 'sample', seed: 3, detail: 'full' },
  { protocol: 'UDP', destination: { address: IP.dnsSvc, port: 53 }, source: { pod: 'default/client-2' }, mode: 'all' },
  { protocol: 'TCP', destination: { address: IP.empty, port: 80 }, source: { pod: 'default/client-1' }, mode: 'sample', seed: 1 }
]

/** The answer's text; EndpointSlice names end in a random suffix per server, which is left out. */
async function answer (api: Built['api'], body: Record<string, unknown>): Promise<string> {
  const r = await api.post('/api/v1/clusters/lab/traces').send(body)
  assert.equal(r.status, 200, r.text)
  return r.text.replace(/(endpointslice [a-z0-9.-]+\/[a-z0-9.-]+)-[a-z0-9]{5}\b/g, '$1-?????')
}

let first: string[] = []
let api: Built['api']
before(async () => {
  // the reference: each request on a server of its own, nothing shared with any other trace
  first = []
  for (const body of requests) first.push(await answer(await fresh(), body))
  api = await fresh()
})

test('the same request gives the same bytes, however many other traces ran between', async () => {
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < requests.length; i++) assert.equal(await answer(api, requests[i]), first[i], `request ${i}, round ${round}`)
    // other flows in between (their own source ports, so their own conntrack messages)
    for (let seed = 100 + round * 40; seed < 140 + round * 40; seed++) {
      await answer(api, { protocol: 'TCP', destination: { address: IP.web, port: 80 }, source: { pod: 'default/client-2' }, mode: 'sample', seed })
    }
  }
  for (const text of first) JSON.parse(text)
})

test('Recurring: a key is recognised the second time it is offered', () => {
  const r = new Recurring(64)
  assert.equal(r.seenBefore('conntrack: NEW (tcp 10.0.0.1:40000 -> 10.96.0.1:80)'), false)
  assert.equal(r.seenBefore('routing: forward 10.244.2.10 via 192.168.0.12 dev eth0'), false)
  assert.equal(r.seenBefore('conntrack: NEW (tcp 10.0.0.1:40000 -> 10.96.0.1:80)'), true)
  assert.equal(r.seenBefore('routing: forward 10.244.2.10 via 192.168.0.12 dev eth0'), true)
  assert.equal(r.seenBefore('conntrack: NEW (tcp 10.0.0.1:40001 -> 10.96.0.1:80)'), false)
})
