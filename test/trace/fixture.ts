/**
 * Clusters for the trace tests, built through the HTTP API as a user would: a two-node `current`
 * kube-proxy cluster ("lab") with one Service per scenario, and helpers to POST traces.
 */
import assert from 'node:assert/strict'
import { base, node, pod, svc, type Built } from '../helper.ts'

export const NODE1 = { name: 'node-1', ip: '192.168.0.11', cidr: '10.244.1.0/24', gw: '10.244.1.1' }
export const NODE2 = { name: 'node-2', ip: '192.168.0.12', cidr: '10.244.2.0/24', gw: '10.244.2.1' }

export const IP = {
  web1: '10.244.1.10',
  web2: '10.244.2.10',
  client1: '10.244.1.20',
  client2: '10.244.2.20',
  solo: '10.244.1.30',
  term: '10.244.2.40',
  dns: '10.244.2.53',
  multi: '10.244.1.50',
  web: '10.96.0.10',
  webNp: '10.96.0.11',
  local: '10.96.0.12',
  itp: '10.96.0.13',
  lb: '10.96.0.14',
  empty: '10.96.0.15',
  term_: '10.96.0.16',
  sticky: '10.96.0.17',
  dnsSvc: '10.96.0.18',
  multiSvc: '10.96.0.19',
  lbVip: '5.6.7.8'
}

const p8080 = [{ containerPort: 8080, protocol: 'TCP' }]

export async function ok (r: { status: number, body: unknown }, code = 200): Promise<void> {
  assert.equal(r.status, code, JSON.stringify(r.body))
}

export async function createLab (api: Built['api'], name = 'lab'): Promise<void> {
  await ok(await api.post('/api/v1/clusters').send({ metadata: { name }, spec: {} }), 201)
  const b = base(name)
  for (const n of [NODE1, NODE2]) await ok(await api.post(`${b}/nodes`).send(node(n.name, n.ip, n.cidr)), 201)
  const pods: Array<[string, string, Record<string, string>, string, Array<Record<string, unknown>>]> = [
    ['web-1', NODE1.name, { app: 'web' }, IP.web1, p8080],
    ['web-2', NODE2.name, { app: 'web' }, IP.web2, p8080],
    ['client-1', NODE1.name, { app: 'client' }, IP.client1, p8080],
    ['client-2', NODE2.name, { app: 'client' }, IP.client2, p8080],
    ['solo-1', NODE1.name, { app: 'solo' }, IP.solo, p8080],
    ['term-1', NODE2.name, { app: 'term' }, IP.term, p8080],
    ['dns-1', NODE2.name, { app: 'dns' }, IP.dns, [{ containerPort: 53, protocol: 'UDP' }]],
    ['multi-1', NODE1.name, { app: 'multi' }, IP.multi, [{ containerPort: 8080, protocol: 'TCP' }, { containerPort: 9090, protocol: 'TCP' }]]
  ]
  for (const [n, nd, labels, ip, ports] of pods) {
    await ok(await api.post(`${b}/namespaces/default/pods`).send(pod(n, nd, labels, { podIP: ip, ports })), 201)
  }
  const tcp = (port: number, targetPort: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ protocol: 'TCP', port, targetPort, ...extra })
  const services = [
    svc('web', { type: 'ClusterIP', clusterIP: IP.web, selector: { app: 'web' }, ports: [tcp(80, 8080)] }),
    svc('web-np', { type: 'NodePort', clusterIP: IP.webNp, selector: { app: 'web' }, ports: [tcp(80, 8080, { nodePort: 30080 })] }),
    svc('local', { type: 'NodePort', clusterIP: IP.local, externalTrafficPolicy: 'Local', selector: { app: 'solo' }, ports: [tcp(80, 8080, { nodePort: 30081 })] }),
    svc('itp', { type: 'ClusterIP', clusterIP: IP.itp, internalTrafficPolicy: 'Local', selector: { app: 'solo' }, ports: [tcp(80, 8080)] }),
    { ...svc('lb', { type: 'LoadBalancer', clusterIP: IP.lb, loadBalancerSourceRanges: ['203.0.113.0/25'], selector: { app: 'web' }, ports: [tcp(80, 8080, { nodePort: 30082 })] }), status: { loadBalancer: { ingress: [{ ip: IP.lbVip }] } } },
    svc('empty', { type: 'ClusterIP', clusterIP: IP.empty, selector: { app: 'nothing' }, ports: [tcp(80, 8080)] }),
    svc('term', { type: 'ClusterIP', clusterIP: IP.term_, selector: { app: 'term' }, ports: [tcp(80, 8080)] }),
    svc('sticky', { type: 'ClusterIP', clusterIP: IP.sticky, sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, selector: { app: 'web' }, ports: [tcp(80, 8080)] }),
    svc('dns', { type: 'ClusterIP', clusterIP: IP.dnsSvc, selector: { app: 'dns' }, ports: [{ name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 }] }),
    svc('multi', { type: 'ClusterIP', clusterIP: IP.multiSvc, selector: { app: 'multi' }, ports: [{ name: 'http', ...tcp(80, 8080) }, { name: 'metrics', ...tcp(9090, 9090) }] })
  ]
  for (const s of services) await ok(await api.post(`${b}/namespaces/default/services`).send(s), 201)
  // term-1 starts terminating (deletionTimestamp set): its endpoint is serving + terminating, not ready
  const got = await api.get(`${b}/namespaces/default/pods/term-1`)
  await ok(got)
  const terminating = { ...got.body, metadata: { ...got.body.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } }
  await ok(await api.put(`${b}/namespaces/default/pods/term-1`).send(terminating))
}

export interface Outcome {
  outcome: string
  probability: number
  node: string
  pod?: string
  address?: string
  seenSource?: string
  masqueraded?: boolean
  reason: string
  reject?: { with: string }
  rule?: { table: string, chain: string, n: number, text: string, provenance?: Record<string, unknown> }
  reply?: { reachedClient: boolean, from?: string, matchesRequest: boolean, summary: string }
  paths: number[]
}

export interface Step { type: string, table?: string, chain?: string, n?: number, rule?: string, matched?: boolean | string, verdict?: string, jumpTo?: string, provenance?: Record<string, unknown>, before?: Record<string, unknown>, after?: Record<string, unknown>, why?: string, event?: string, message?: string }
export interface HopOut { node: string, entry: string, inIface: string, hooks: string[], steps: Step[], packetIn: Record<string, unknown>, packetOut: Record<string, unknown> }
export interface TraceBody {
  summary: string
  request: Record<string, any>
  outcomes: Outcome[]
  paths: Array<{ probability: number, hops: HopOut[], choices: Array<{ node: string, table: string, chain: string, n: number, pMatch: number, matched: boolean }>, reply?: { hops: HopOut[], from?: string, reachedClient: boolean, matchesRequest: boolean, final: string }, outcome: Outcome }>
}

export async function trace (api: Built['api'], cluster: string, req: Record<string, unknown>): Promise<TraceBody> {
  const r = await api.post(`${base(cluster)}/traces`).send(req)
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body as TraceBody
}

export function total (t: TraceBody): number {
  return t.outcomes.reduce((s, o) => s + o.probability, 0)
}

export function matchedRules (h: HopOut): string[] {
  return h.steps.filter(s => s.type === 'rule' && s.matched === true && s.rule !== undefined).map(s => s.rule as string)
}

export function only (t: TraceBody): Outcome {
  assert.equal(t.outcomes.length, 1, t.summary)
  return t.outcomes[0]
}

export function byPod (t: TraceBody, pod: string): Outcome {
  const o = t.outcomes.find(x => x.pod === pod)
  assert.ok(o !== undefined, `no outcome for ${pod}: ${t.summary}`)
  return o
}

/** A hooks object whose cleanups run when `run()` is called (from a top-level `after`). */
export function cleanups (): { after: (fn: () => Promise<void> | void) => void, run: () => Promise<void> } {
  const fns: Array<() => Promise<void> | void> = []
  return { after: (fn) => { fns.push(fn) }, run: async () => { for (const f of fns.reverse()) await f() } }
}
