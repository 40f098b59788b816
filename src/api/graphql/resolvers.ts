/**
 * Resolvers: thin calls into the same use cases REST calls (src/cluster/actions). Every resolver is
 * wrapped so that what it throws becomes the REST Status as a GraphQL error (errors.ts). Nested lists
 * are looked up in per-snapshot maps (nested.ts).
 */
import type { IResolvers, MercuriusContext } from 'mercurius'
import type { Node, Pod, Service } from '../../cluster/model.ts'
import {
  applyManifests, createClusterWithTokens, createNode, createPod, createService, deleteCluster, deleteNode, deletePod, deleteService,
  clusterObject, getNode, getPod, getService, listClusters, listEndpointSlices, listNodes, listPods, listServices,
  replaceNode, replacePod, replaceService, endpointSlicesOf, CLUSTER_API_VERSION,
  type ClusterInput, type ClusterObject, type KubeList
} from '../../cluster/actions/index.ts'
import { tag, clusterOf, type Tagged } from './context.ts'
import { toGraphQLError } from './errors.ts'
import { IntOrStringScalar, JSONScalar } from './scalars.ts'
import { iptables, netfilterTrace, trace, type IptablesArgs, type NetfilterArgs, type TraceArgs } from './views.ts'
import { seg, viaRest } from './rest.ts'
import { nestedResolvers } from './nested.ts'

type Ctx = MercuriusContext
type Resolver = (parent: any, args: any, ctx: Ctx, info: any) => unknown

/**
 * Wraps every resolver of a map so thrown errors become Status-carrying GraphQL errors. A resolver
 * that answers at once stays synchronous (a promise per nested field would cost more than the field).
 */
export function guarded<T extends Record<string, Record<string, unknown>>> (map: T): T {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [type, fields] of Object.entries(map)) {
    out[type] = {}
    for (const [name, fn] of Object.entries(fields)) {
      if (typeof fn !== 'function') { out[type][name] = fn; continue }
      const f = fn as Resolver
      out[type][name] = (parent: unknown, args: unknown, ctx: Ctx, info: unknown) => {
        try {
          const r = f(parent, args, ctx, info)
          return r instanceof Promise ? r.catch((e: unknown) => { throw toGraphQLError(e, ctx.kns.request) }) : r
        } catch (e) {
          throw toGraphQLError(e, ctx.kns.request)
        }
      }
    }
  }
  return out as T
}

const tagList = <T extends object>(l: KubeList<T>, cluster: string): KubeList<Tagged<T>> => ({ ...l, items: l.items.map(i => tag(i, cluster)) })

/** An all-namespaces list in the shape REST lists have (REST lists are per namespace). */
async function allOf<T extends object> (ctx: Ctx, cluster: string, kind: string, pick: (s: Awaited<ReturnType<Ctx['kns']['snapshot']>>) => T[], apiVersion = 'v1'): Promise<KubeList<Tagged<T>>> {
  const snap = await ctx.kns.snapshot(cluster)
  return { kind, apiVersion, metadata: { resourceVersion: String(snap.cluster.resourceVersion) }, items: pick(snap).map(i => tag(i, cluster)) }
}

const store = (ctx: Ctx) => ctx.kns.store

export const resolvers = guarded({
  Query: {
    clusters: async (_: unknown, __: unknown, ctx: Ctx) => ({ kind: 'ClusterList', apiVersion: CLUSTER_API_VERSION, metadata: {}, items: await listClusters(store(ctx)) }),
    // from the request's snapshot, so the cluster and everything nested under it are one consistent view
    cluster: async (_: unknown, a: { name: string }, ctx: Ctx) => clusterObject((await ctx.kns.snapshot(a.name)).cluster),
    service: async (_: unknown, a: { cluster: string, namespace: string, name: string }, ctx: Ctx) =>
      tag(await getService(store(ctx), a.cluster, a.namespace, a.name), a.cluster),
    iptables: async (_: unknown, a: IptablesArgs & { cluster: string, node: string }, ctx: Ctx) => await iptables(ctx, a.cluster, a.node, a),
    trace: async (_: unknown, a: TraceArgs, ctx: Ctx) => await trace(ctx, a),
    traceAffinity: async (_: unknown, a: { cluster: string }, ctx: Ctx) =>
      (await viaRest(ctx.app, { method: 'GET', url: `/api/v1/clusters/${seg(a.cluster)}/traces/affinity` })).json(),
    netfilterTrace: async (_: unknown, a: NetfilterArgs, ctx: Ctx) => await netfilterTrace(ctx, a)
  },

  Node: {
    iptables: async (n: Tagged<Node>, a: IptablesArgs, ctx: Ctx) => await iptables(ctx, clusterOf(n), n.metadata.name, a),
    ...nestedResolvers.Node
  },
  Service: nestedResolvers.Service,
  Endpoint: nestedResolvers.Endpoint,
  Pod: nestedResolvers.Pod,

  Cluster: {
    nodes: async (c: ClusterObject, _: unknown, ctx: Ctx) => tagList(await listNodes(store(ctx), c.metadata.name), c.metadata.name),
    node: async (c: ClusterObject, a: { name: string }, ctx: Ctx) => tag(await getNode(store(ctx), c.metadata.name, a.name), c.metadata.name),
    pods: async (c: ClusterObject, a: { namespace?: string | null }, ctx: Ctx) => a.namespace == null
      ? await allOf(ctx, c.metadata.name, 'PodList', s => s.pods)
      : tagList(await listPods(store(ctx), c.metadata.name, a.namespace), c.metadata.name),
    pod: async (c: ClusterObject, a: { namespace: string, name: string }, ctx: Ctx) => tag(await getPod(store(ctx), c.metadata.name, a.namespace, a.name), c.metadata.name),
    services: async (c: ClusterObject, a: { namespace?: string | null }, ctx: Ctx) => a.namespace == null
      ? await allOf(ctx, c.metadata.name, 'ServiceList', s => s.services)
      : tagList(await listServices(store(ctx), c.metadata.name, a.namespace), c.metadata.name),
    service: async (c: ClusterObject, a: { namespace: string, name: string }, ctx: Ctx) => tag(await getService(store(ctx), c.metadata.name, a.namespace, a.name), c.metadata.name),
    endpointSlices: async (c: ClusterObject, a: { namespace?: string | null }, ctx: Ctx) => a.namespace == null
      ? await allOf(ctx, c.metadata.name, 'EndpointSliceList', s => endpointSlicesOf(s), 'discovery.k8s.io/v1')
      : tagList(await listEndpointSlices(store(ctx), c.metadata.name, a.namespace), c.metadata.name),
    nodePorts: async (c: ClusterObject, _: unknown, ctx: Ctx) => await ctx.kns.nodePorts(c.metadata.name)
  },

  EndpointSlice: {
    endpoints: (s: Tagged<{ endpoints: object[] }>) => s.endpoints.map(e => tag(e, clusterOf(s)))
  },

  Mutation: {
    createCluster: async (_: unknown, a: { cluster: ClusterInput }, ctx: Ctx) => {
      // same use case as REST: the cluster and its tokens in one transaction; tokens shown once, with access control on
      const { cluster, tokens } = await createClusterWithTokens(store(ctx), plain(a.cluster) as ClusterInput)
      return ctx.app.auth.enabled ? { ...cluster, tokens } : cluster
    },
    deleteCluster: async (_: unknown, a: { name: string }, ctx: Ctx) => await deleteCluster(store(ctx), a.name),
    applyManifests: async (_: unknown, a: { cluster: string, manifests: string, format: 'yaml' | 'json' }, ctx: Ctx) => {
      const r = await applyManifests(store(ctx), a.cluster, a.manifests, a.format, { maxObjects: ctx.app.limits.maxManifestObjects })
      return { ...r, items: r.items.map(i => tag(i as object, a.cluster)) }
    },
    createNode: async (_: unknown, a: { cluster: string, node: unknown }, ctx: Ctx) => tag(await createNode(store(ctx), a.cluster, a.node), a.cluster),
    replaceNode: async (_: unknown, a: { cluster: string, name: string, node: unknown }, ctx: Ctx) => written(await replaceNode(store(ctx), a.cluster, a.name, a.node), a.cluster),
    deleteNode: async (_: unknown, a: { cluster: string, name: string }, ctx: Ctx) => tag(await deleteNode(store(ctx), a.cluster, a.name), a.cluster),
    createPod: async (_: unknown, a: { cluster: string, namespace: string, pod: unknown }, ctx: Ctx) => tag(await createPod(store(ctx), a.cluster, a.namespace, a.pod), a.cluster),
    replacePod: async (_: unknown, a: { cluster: string, namespace: string, name: string, pod: unknown }, ctx: Ctx) => written(await replacePod(store(ctx), a.cluster, a.namespace, a.name, a.pod), a.cluster),
    deletePod: async (_: unknown, a: { cluster: string, namespace: string, name: string }, ctx: Ctx) => tag(await deletePod(store(ctx), a.cluster, a.namespace, a.name), a.cluster),
    createService: async (_: unknown, a: { cluster: string, namespace: string, service: unknown }, ctx: Ctx) => tag(await createService(store(ctx), a.cluster, a.namespace, a.service), a.cluster),
    replaceService: async (_: unknown, a: { cluster: string, namespace: string, name: string, service: unknown }, ctx: Ctx) => written(await replaceService(store(ctx), a.cluster, a.namespace, a.name, a.service), a.cluster),
    deleteService: async (_: unknown, a: { cluster: string, namespace: string, name: string }, ctx: Ctx) => tag(await deleteService(store(ctx), a.cluster, a.namespace, a.name), a.cluster),
    setLoadBalancerIngress: async (_: unknown, a: { cluster: string, namespace: string, name: string, ingress: object[] }, ctx: Ctx) => {
      // A PUT of the current object with a new status, guarded by its resourceVersion (a concurrent
      // change answers 409 Conflict instead of being overwritten).
      const cur = await getService(store(ctx), a.cluster, a.namespace, a.name)
      const next: Service = { ...cur, status: { ...cur.status, loadBalancer: { ...cur.status.loadBalancer, ingress: a.ingress.map(plain) as Service['status']['loadBalancer']['ingress'] } } }
      return tag((await replaceService(store(ctx), a.cluster, a.namespace, a.name, structuredClone(next))).object, a.cluster)
    },
    resetAffinity: async (_: unknown, a: { cluster: string }, ctx: Ctx) => {
      return (await viaRest(ctx.app, { method: 'DELETE', url: `/api/v1/clusters/${seg(a.cluster)}/traces/affinity` })).json()
    }
  }
})

/** GraphQL input objects have a null prototype; the domain wants plain JSON values. */
function plain (v: unknown): unknown {
  return JSON.parse(JSON.stringify(v))
}

function written<T extends Node | Pod | Service> (r: { object: T, created: boolean }, cluster: string): { object: Tagged<T>, created: boolean } {
  return { object: tag(r.object, cluster), created: r.created }
}

export const unionTypes = {
  KubeObject: { resolveType: (o: { kind: string }) => o.kind }
}

export const scalars = { JSON: JSONScalar, IntOrString: IntOrStringScalar }

export type { IResolvers }
