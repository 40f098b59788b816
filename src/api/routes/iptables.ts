/**
 * kube-proxy rule views: GET …/nodes/{name}/iptables (one node's rules as iptables-save prints them,
 * kube-proxy's restore input, kube-proxy's sorted test form, or JSON with provenance; filters by
 * table, chain and Service) and GET …/namespaces/{ns}/services/{name}/rules (a Service's chains and
 * rules on every node). Rules are rendered per node through an incremental cache keyed by the
 * cluster generation.
 */
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from 'typebox'
import { clusterSnapshot, endpointSlicesOf, getNode, getService } from '../../cluster/actions/index.ts'
import { memo, type ClusterSnapshot } from '../../store/index.ts'
import type { Node } from '../../cluster/model.ts'
import {
  KubeProxyRulesCache, jsonView, restoreView, saveLine, saveView, saveViewChunks, serviceRules, sortedView,
  type NodeRules, type ViewFilter
} from '../../cluster/kubeproxy/index.ts'
import { errors, NamedClusterParams, NsNameParams } from './shared.ts'

const opt = <T extends TSchema>(s: T) => Type.Optional(s)

const IptablesQuery = Type.Object({
  format: opt(Type.Union([Type.Literal('save'), Type.Literal('restore'), Type.Literal('sorted'), Type.Literal('json')], {
    description: '`save` (default): what `iptables-save` v1.8.9 (nf_tables) prints on the node; `restore`: what kube-proxy feeds `iptables-restore --noflush`; `sorted`: kube-proxy\'s test sorter form; `json`: tables → chains → rules with parsed matches and provenance'
  })),
  table: opt(Type.Union(['raw', 'mangle', 'nat', 'filter', 'security'].map(t => Type.Literal(t)), { description: 'only this table' })),
  chain: opt(Type.String({ minLength: 1, maxLength: 28, description: 'only the rules of this chain' })),
  service: opt(Type.String({ pattern: '^[^/]+/[^/]+$', description: '`namespace/name`: only the rules that Service produced (an exact `iptables-save | grep ns/name`, by provenance)' }))
}, { additionalProperties: false })

const Provenance = Type.Object({
  origin: Type.String({ description: '`kube-proxy`, `kube-proxy-static` (EnsureRule jumps, canaries) or `kubelet`' }),
  service: opt(Type.String({ description: 'namespace/name' })),
  servicePort: opt(Type.String({ description: 'kube-proxy\'s service-port name, e.g. `ns/name:port`' })),
  endpoint: opt(Type.String({ description: 'ip:port' })),
  field: opt(Type.String({ description: 'the spec field (or EndpointSlice entry) that produced the rule' })),
  note: opt(Type.String())
}, { additionalProperties: true })

const IptablesJson = Type.Object({
  kind: Type.Literal('NodeIptables'),
  apiVersion: Type.Literal('kubenetsim.io/v1'),
  cluster: Type.String(),
  generation: Type.Integer(),
  node: Type.String(),
  profile: Type.String({ description: 'kube-proxy era: `current` or `legacy`' }),
  largeClusterMode: Type.Boolean({ description: 'more than 1000 endpoints: kube-proxy drops comments from SVC/SEP rules' }),
  tables: Type.Array(Type.Object({
    name: Type.String(),
    chains: Type.Array(Type.Object({
      name: Type.String(),
      builtin: Type.Boolean(),
      policy: Type.Union([Type.String(), Type.Null()]),
      rules: Type.Array(Type.Object({
        text: Type.String({ description: 'canonical iptables-save line' }),
        rule: Type.Object({}, { additionalProperties: true, description: 'the engine\'s parsed rule: addresses, protocol, matches, target' }),
        provenance: Type.Union([Provenance, Type.Null()])
      }))
    }))
  }))
}, { description: 'format=json' })

const ServiceRulesQuery = Type.Object({
  node: opt(Type.String({ description: 'only this node' }))
}, { additionalProperties: false })

const ServiceRulesResponse = Type.Object({
  kind: Type.Literal('ServiceRules'),
  apiVersion: Type.Literal('kubenetsim.io/v1'),
  cluster: Type.String(),
  generation: Type.Integer(),
  service: Type.String({ description: 'namespace/name' }),
  nodes: Type.Array(Type.Object({
    node: Type.String(),
    profile: Type.String(),
    chains: Type.Array(Type.Object({
      table: Type.String(),
      chain: Type.String(),
      owned: Type.Boolean({ description: 'the Service\'s own chain (KUBE-SVC/SVL/EXT/FW/SEP/XLB) rather than a shared one' }),
      rules: Type.Array(Type.Object({
        text: Type.String({ description: 'as kube-proxy writes it (restore input)' }),
        save: Type.String({ description: 'as iptables-save prints it' }),
        provenance: Provenance
      }))
    }))
  }))
})

const IptablesText = Type.String({ description: 'text/plain: iptables-save (default), restore or sorted text' })

/** clusters whose rule caches are kept (least recently read are dropped) */
export const MAX_CACHED_CLUSTERS = 64

const iptables: FastifyPluginAsyncTypebox = async (app) => {
  // one incremental rule cache per cluster (by uid, so a re-created cluster starts clean), for the
  // clusters read most recently: a cache holds every rendered node of its cluster, so their number
  // is bounded like the store's snapshots (an evicted cluster is rendered in full on its next read)
  const caches = new Map<string, { uid: string, cache: KubeProxyRulesCache }>()
  const off = app.store.onClusterChanged(c => { if (c.deleted) caches.delete(c.cluster) })
  app.addHook('onClose', async () => { off() })

  function cacheOf (snap: ClusterSnapshot): KubeProxyRulesCache {
    const name = snap.cluster.name
    let e = caches.get(name)
    if (e == null || e.uid !== snap.cluster.uid) e = { uid: snap.cluster.uid, cache: new KubeProxyRulesCache() }
    caches.delete(name)
    caches.set(name, e)
    if (caches.size > MAX_CACHED_CLUSTERS) caches.delete(caches.keys().next().value as string)
    return e.cache
  }

  function rulesOf (snap: ClusterSnapshot, node: Node): NodeRules {
    const cache = cacheOf(snap)
    return memo(snap, `iptables:node-rules:${node.metadata.name}`, () => cache.render({
      settings: snap.cluster.settings,
      node,
      nodes: snap.nodes,
      services: snap.services,
      endpointSlices: endpointSlicesOf(snap)
    }, snap.generation))
  }

  app.get('/nodes/:name/iptables', {
    schema: {
      operationId: 'readNodeIptables',
      tags: ['iptables'],
      description: 'The iptables rules kube-proxy (iptables mode, in the cluster\'s kube-proxy era) programs on this node. Default: `text/plain` exactly as `iptables-save` v1.8.9 (nf_tables) prints it on the node, including the built-in chain jumps. With `table` alone whole tables are printed; with `chain` or `service` only the matching rule lines (like `iptables-save | grep`, but exact).',
      params: NamedClusterParams,
      querystring: IptablesQuery,
      produces: ['text/plain', 'application/json'],
      response: { 200: Type.Union([IptablesText, IptablesJson]), ...errors(400, 404) }
    }
  }, async (req, reply) => {
    const { cluster, name } = req.params
    const node = await getNode(app.store, cluster, name)
    const snap = await clusterSnapshot(app.store, cluster)
    const nr = rulesOf(snap, node)
    const q = req.query
    const filter: ViewFilter = { ...(q.table != null ? { table: q.table } : {}), ...(q.chain != null ? { chain: q.chain } : {}), ...(q.service != null ? { service: q.service } : {}) }
    const format = q.format ?? 'save'
    if (format === 'json') {
      reply.type('application/json; charset=utf-8')
      return { kind: 'NodeIptables' as const, apiVersion: 'kubenetsim.io/v1' as const, cluster, generation: snap.generation, ...jsonView(nr, filter, cacheOf(snap)) }
    }
    reply.type('text/plain; charset=utf-8')
    if (format === 'restore') {
      // the whole document: stream its pieces (joining would keep tens of MB on the node's rules)
      if (q.table == null && q.chain == null && q.service == null) return await reply.send(Readable.from(nr.restoreChunks(), { objectMode: false }) as unknown as string)
      return restoreView(nr, filter)
    }
    if (format === 'sorted') return sortedView(nr, filter)
    if (q.table == null && q.chain == null && q.service == null) {
      // the whole node: stream the cached pieces instead of joining tens of MB (fastify sends streams
      // as they are; the cast only satisfies the typed reply, whose 200 schema documents the text)
      return await reply.send(Readable.from(saveViewChunks(nr, new Date(), cacheOf(snap)), { objectMode: false }) as unknown as string)
    }
    return saveView(nr, { filter }, cacheOf(snap))
  })

  app.get('/namespaces/:ns/services/:name/rules', {
    schema: {
      operationId: 'readServiceRules',
      tags: ['iptables'],
      description: 'For each node: the chains and rules this Service produces in kube-proxy\'s iptables rules (its own KUBE-SVC/SVL/EXT/FW/SEP chains and its entries in shared chains), each rule as written and as saved, with provenance.',
      params: NsNameParams,
      querystring: ServiceRulesQuery,
      response: { 200: ServiceRulesResponse, ...errors(404) }
    }
  }, async (req) => {
    const { cluster, ns, name } = req.params
    await getService(app.store, cluster, ns, name)
    const snap = await clusterSnapshot(app.store, cluster)
    const nodes = req.query.node != null ? [await getNode(app.store, cluster, req.query.node)] : snap.nodes
    const key = `${ns}/${name}`
    return {
      kind: 'ServiceRules' as const,
      apiVersion: 'kubenetsim.io/v1' as const,
      cluster,
      generation: snap.generation,
      service: key,
      nodes: nodes.map(n => {
        const nr = rulesOf(snap, n)
        return {
          node: n.metadata.name,
          profile: nr.profile,
          chains: serviceRules(nr, key).map(c => ({
            ...c,
            rules: c.rules.map(r => ({ text: r.text, save: saveLine({ table: c.table, chain: c.chain, text: r.text, prov: r.provenance }), provenance: r.provenance }))
          }))
        }
      })
    }
  })
}
export default iptables
