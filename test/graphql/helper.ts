/**
 * GraphQL test helpers: POST /graphql through supertest, full-object fragments that select every
 * field the REST JSON has (for parity checks), and null stripping (GraphQL answers null where the
 * REST JSON omits a field).
 */
import assert from 'node:assert/strict'
import type { Built } from '../helper.ts'

export interface GqlAnswer { status: number, data: any, errors?: Array<{ message: string, path?: string[], extensions?: any }> }

export async function gql (api: Built['api'], query: string, variables?: Record<string, unknown>): Promise<GqlAnswer> {
  const r = await api.post('/graphql').set('content-type', 'application/json').send({ query, ...(variables !== undefined ? { variables } : {}) })
  return { status: r.status, data: r.body.data, errors: r.body.errors }
}

/** The answer's data, failing the test when there are errors. */
export async function gqlData (api: Built['api'], query: string, variables?: Record<string, unknown>): Promise<any> {
  const r = await gql(api, query, variables)
  assert.equal(r.errors, undefined, `unexpected errors: ${JSON.stringify(r.errors)}`)
  assert.equal(r.status, 200)
  return r.data
}

/** The single error of an answer. */
export async function gqlError (api: Built['api'], query: string, variables?: Record<string, unknown>): Promise<{ message: string, extensions: any, status: number, data: any }> {
  const r = await gql(api, query, variables)
  assert.ok(r.errors != null && r.errors.length === 1, `expected one error, got ${JSON.stringify(r.errors)}`)
  return { message: r.errors[0].message, extensions: r.errors[0].extensions, status: r.status, data: r.data }
}

/** Drops null values and empty-after-stripping nothing else: `{a: null}` → `{}`. */
export function stripNulls (v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls)
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = stripNulls(x)
    return out
  }
  return v
}

const FRAGMENT_TEXT = /* GraphQL */ `
fragment Meta on ObjectMeta { name namespace uid resourceVersion creationTimestamp deletionTimestamp generateName labels annotations ownerReferences { apiVersion kind name uid controller blockOwnerDeletion } }
fragment NodeFields on Node { apiVersion kind metadata { ...Meta } spec { podCIDR podCIDRs } status { addresses { type address } } }
fragment PodFields on Pod {
  apiVersion kind metadata { ...Meta }
  spec { nodeName hostNetwork hostname subdomain containers { name image ports { name containerPort protocol hostPort } } }
  status { phase podIP podIPs { ip } hostIP conditions { type status } }
}
fragment ServiceFields on Service {
  apiVersion kind metadata { ...Meta }
  spec {
    type clusterIP clusterIPs ipFamilies ipFamilyPolicy ports { name protocol port targetPort nodePort appProtocol } selector externalIPs externalName
    sessionAffinity sessionAffinityConfig { clientIP { timeoutSeconds } } externalTrafficPolicy internalTrafficPolicy healthCheckNodePort
    allocateLoadBalancerNodePorts loadBalancerIP loadBalancerClass loadBalancerSourceRanges publishNotReadyAddresses trafficDistribution
  }
  status { loadBalancer { ingress { ip hostname ipMode } } }
}
fragment SliceFields on EndpointSlice {
  apiVersion kind metadata { ...Meta } addressType
  endpoints { addresses conditions { ready serving terminating } nodeName zone hostname targetRef { kind namespace name uid } }
  ports { name protocol port appProtocol }
}
fragment Prov on RuleProvenance { origin service servicePort endpoint field note }
fragment Pkt on TracePacket { in out src dst protocol sport dport tcpFlags icmpType mark ttl }
fragment StepFields on TraceStep { type hook table chain kind n rule matched why verdict jumpTo note explanation provenance { ...Prov } probability event message before { ...Pkt } after { ...Pkt } }
fragment HopFields on TraceHop { node entry inIface hooks packetIn { ...Pkt } packetOut { ...Pkt } verdict { kind outIface nextHop reason } probability steps { ...StepFields } }
fragment OutcomeFields on TraceOutcome { outcome probability node pod address seenSource masqueraded reject { with description } rule { table chain n text provenance { ...Prov } } reason reply { reachedClient from matchesRequest summary } paths }
fragment TraceFields on Trace {
  kind apiVersion metadata { cluster generation profile }
  request { protocol source { kind address port node pod nodeChosen } destination { address port is } mode seed detail reply clock { now advancedSeconds } }
  summary
  outcomes { ...OutcomeFields }
  paths { probability outcome { ...OutcomeFields } choices { node table chain n pMatch matched } hops { ...HopFields } reply { summary reachedClient from matchesRequest final hops { ...HopFields } } }
}
fragment ClusterFields on Cluster { apiVersion kind metadata { name uid creationTimestamp resourceVersion } spec { serviceCIDR clusterCIDR nodePortRange kubeProxy { profile masqueradeAll nodePortAddresses localhostNodePorts masqueradeBit } } }
`

const FRAGMENT_DEFS = new Map(FRAGMENT_TEXT.split(/\n(?=fragment )/).map(t => t.trim()).filter(t => t.startsWith('fragment ')).map(t => [t.split(' ')[1], t]))

/** `query` plus the fragments it spreads (transitively); GraphQL rejects unused fragments. */
export function withFragments (query: string): string {
  const need = new Set<string>()
  const visit = (text: string): void => {
    for (const m of text.matchAll(/\.\.\.([A-Za-z]+)/g)) {
      const name = m[1]
      if (!FRAGMENT_DEFS.has(name) || need.has(name)) continue
      need.add(name)
      visit(FRAGMENT_DEFS.get(name)!)
    }
  }
  visit(query)
  return [query, ...[...need].map(n => FRAGMENT_DEFS.get(n)!)].join('\n')
}
