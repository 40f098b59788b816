/**
 * Resolvers of the nested lists (service → endpoint slices / endpoints / NodePort rows, endpoint →
 * pod, pod → node, node → pods). Each looks its answer up in maps built once per cluster snapshot
 * (the store's per-generation snapshot, memo) or per NodePort table, so a query reads each cluster
 * once however many objects it nests (no N+1), and a field costs one map lookup.
 *
 * These were mercurius loaders: a loader batches by keys, and its cache key is the whole parent
 * object serialised with sorted keys, which for a namespace of services with their endpoints, pods
 * and nodes cost more than everything else in the query. A lookup by name needs no batching.
 * When the parent came from the request's snapshot (always, but for a cluster read by another
 * field still in flight) the answer is returned without a promise.
 */
import type { MercuriusContext } from 'mercurius'
import type { Endpoint, EndpointSlice, Node, Pod, Service } from '../../cluster/model.ts'
import { endpointSlicesOf, type NodePortTable } from '../../cluster/actions/index.ts'
import type { NodePortRow } from '../../store/index.ts'
import { memo, type ClusterSnapshot } from '../../store/index.ts'
import { LABEL_SERVICE_NAME } from '../../cluster/endpoints.ts'
import { clusterOf, tag, type Tagged } from './context.ts'
import { serviceRules } from './views.ts'

type Ctx = MercuriusContext

const key = (ns: string | undefined, name: string): string => `${ns ?? 'default'}/${name}`

function group<T> (xs: Iterable<T>, keyOf: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>()
  for (const x of xs) {
    const k = keyOf(x)
    const arr = m.get(k)
    if (arr == null) m.set(k, [x])
    else arr.push(x)
  }
  return m
}

function slicesByService (snap: ClusterSnapshot): Map<string, EndpointSlice[]> {
  return memo(snap, 'graphql:slicesByService', () =>
    group(endpointSlicesOf(snap), s => key(s.metadata.namespace, s.metadata.labels?.[LABEL_SERVICE_NAME] ?? '')))
}

function endpointsByService (snap: ClusterSnapshot): Map<string, Endpoint[]> {
  return memo(snap, 'graphql:endpointsByService', () => {
    const m = new Map<string, Endpoint[]>()
    for (const [k, slices] of slicesByService(snap)) m.set(k, slices.flatMap(s => s.endpoints))
    return m
  })
}

function podsByKey (snap: ClusterSnapshot): Map<string, Pod> {
  return memo(snap, 'graphql:podsByKey', () => new Map(snap.pods.map(p => [key(p.metadata.namespace, p.metadata.name), p])))
}

function nodesByName (snap: ClusterSnapshot): Map<string, Node> {
  return memo(snap, 'graphql:nodesByName', () => new Map(snap.nodes.map(n => [n.metadata.name, n])))
}

function podsByNode (snap: ClusterSnapshot): Map<string, Pod[]> {
  return memo(snap, 'graphql:podsByNode', () => group(snap.pods, p => p.spec.nodeName ?? ''))
}

const rowsByTable = new WeakMap<NodePortTable, Map<string, NodePortRow[]>>()

function rowsByService (table: NodePortTable): Map<string, NodePortRow[]> {
  let m = rowsByTable.get(table)
  if (m == null) rowsByTable.set(table, m = group(table.items, r => key(r.namespace, r.service)))
  return m
}

/** `answer(snapshot)` for the parent's cluster: at once when the request holds the snapshot already. */
function fromSnapshot<P extends object, R> (parent: P, ctx: Ctx, answer: (snap: ClusterSnapshot, cluster: string) => R): R | Promise<R> {
  const cluster = clusterOf(parent)
  const snap = ctx.kns.snapshotNow(cluster)
  if (snap != null) return answer(snap, cluster)
  return ctx.kns.snapshot(cluster).then(s => answer(s, cluster))
}

const tagAll = <T extends object>(xs: T[] | undefined, cluster: string): Array<Tagged<T>> => (xs ?? []).map(x => tag(x, cluster))

export const nestedResolvers = {
  Service: {
    endpointSlices: (s: Tagged<Service>, _: unknown, ctx: Ctx) =>
      fromSnapshot(s, ctx, (snap, c) => tagAll(slicesByService(snap).get(key(s.metadata.namespace, s.metadata.name)), c)),
    endpoints: (s: Tagged<Service>, _: unknown, ctx: Ctx) =>
      fromSnapshot(s, ctx, (snap, c) => tagAll(endpointsByService(snap).get(key(s.metadata.namespace, s.metadata.name)), c)),
    nodePorts: async (s: Tagged<Service>, _: unknown, ctx: Ctx) =>
      rowsByService(await ctx.kns.nodePorts(clusterOf(s))).get(key(s.metadata.namespace, s.metadata.name)) ?? [],
    rules: async (s: Tagged<Service>, a: { node?: string | null }, ctx: Ctx) => await serviceRules(ctx, s, a.node)
  },
  Endpoint: {
    pod: (e: Tagged<Endpoint>, _: unknown, ctx: Ctx) => fromSnapshot(e, ctx, (snap, c) => {
      const ref = e.targetRef
      const p = ref == null ? undefined : podsByKey(snap).get(key(ref.namespace, ref.name))
      return p == null ? null : tag(p, c)
    })
  },
  Pod: {
    node: (p: Tagged<Pod>, _: unknown, ctx: Ctx) => fromSnapshot(p, ctx, (snap, c) => {
      const n = nodesByName(snap).get(p.spec.nodeName ?? '')
      return n == null ? null : tag(n, c)
    })
  },
  Node: {
    pods: (n: Tagged<Node>, _: unknown, ctx: Ctx) => fromSnapshot(n, ctx, (snap, c) => tagAll(podsByNode(snap).get(n.metadata.name), c))
  }
}
