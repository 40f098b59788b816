/**
 * Batched resolvers (mercurius loaders) for the nested lists: every Service of a query asks for its
 * endpoints / slices / NodePorts in one batch, every Endpoint for its Pod, every Pod for its Node.
 * A batch is grouped by cluster and answered from the request's one snapshot of that cluster (and
 * one NodePort table), so the number of database queries does not grow with the number of objects.
 */
import type { MercuriusContext, MercuriusLoaders } from 'mercurius'
import type { Endpoint, EndpointSlice, Node, Pod, Service } from '../../cluster/model.ts'
import { endpointSlicesOf } from '../../cluster/actions/index.ts'
import { memo, type ClusterSnapshot } from '../../store/index.ts'
import { LABEL_SERVICE_NAME } from '../../cluster/endpoints.ts'
import { clusterOf, tag, type Tagged } from './context.ts'
import { toGraphQLError } from './errors.ts'
import { serviceRulesBatch } from './views.ts'

type Query<T> = { obj: Tagged<T>, params: Record<string, unknown> }
type Ctx = MercuriusContext

/** Runs `per(cluster, queries)` once per cluster of the batch and puts answers back in order. */
function batched<T, R> (per: (cluster: string, qs: Array<Query<T>>, ctx: Ctx) => Promise<R[]>) {
  return async (queries: Array<Query<T>>, ctx: Ctx): Promise<R[]> => {
    try {
      const groups = new Map<string, number[]>()
      queries.forEach((q, i) => {
        const c = clusterOf(q.obj)
        const g = groups.get(c)
        if (g == null) groups.set(c, [i])
        else g.push(i)
      })
      const out = new Array<R>(queries.length)
      await Promise.all([...groups].map(async ([c, idx]) => {
        const answers = await per(c, idx.map(i => queries[i]), ctx)
        idx.forEach((qi, k) => { out[qi] = answers[k] })
      }))
      return out
    } catch (e) {
      throw toGraphQLError(e, ctx.kns.request)
    }
  }
}

const key = (ns: string | undefined, name: string): string => `${ns ?? 'default'}/${name}`

function slicesByService (snap: ClusterSnapshot): Map<string, EndpointSlice[]> {
  return memo(snap, 'graphql:slicesByService', () => {
    const m = new Map<string, EndpointSlice[]>()
    for (const s of endpointSlicesOf(snap)) {
      const k = key(s.metadata.namespace, s.metadata.labels?.[LABEL_SERVICE_NAME] ?? '')
      const arr = m.get(k)
      if (arr == null) m.set(k, [s])
      else arr.push(s)
    }
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
  return memo(snap, 'graphql:podsByNode', () => {
    const m = new Map<string, Pod[]>()
    for (const p of snap.pods) {
      const n = p.spec.nodeName ?? ''
      const arr = m.get(n)
      if (arr == null) m.set(n, [p])
      else arr.push(p)
    }
    return m
  })
}

const svcKey = (s: Service): string => key(s.metadata.namespace, s.metadata.name)

export const loaders: MercuriusLoaders = {
  Service: {
    endpointSlices: batched<Service, Array<Tagged<EndpointSlice>>>(async (c, qs, ctx) => {
      const by = slicesByService(await ctx.kns.snapshot(c))
      return qs.map(q => (by.get(svcKey(q.obj)) ?? []).map(s => tag(s, c)))
    }),
    endpoints: batched<Service, Array<Tagged<Endpoint>>>(async (c, qs, ctx) => {
      const by = slicesByService(await ctx.kns.snapshot(c))
      return qs.map(q => (by.get(svcKey(q.obj)) ?? []).flatMap(s => s.endpoints.map(e => tag(e, c))))
    }),
    nodePorts: batched<Service, unknown[]>(async (c, qs, ctx) => {
      const table = await ctx.kns.nodePorts(c)
      return qs.map(q => table.items.filter(r => r.namespace === (q.obj.metadata.namespace ?? 'default') && r.service === q.obj.metadata.name))
    }),
    rules: async (queries: Array<Query<Service>>, ctx: Ctx) => {
      try {
        return await serviceRulesBatch(queries as never, ctx)
      } catch (e) {
        throw toGraphQLError(e, ctx.kns.request)
      }
    }
  },
  Endpoint: {
    pod: batched<Endpoint, Tagged<Pod> | null>(async (c, qs, ctx) => {
      const pods = podsByKey(await ctx.kns.snapshot(c))
      return qs.map(q => {
        const ref = q.obj.targetRef
        const p = ref == null ? undefined : pods.get(key(ref.namespace, ref.name))
        return p == null ? null : tag(p, c)
      })
    })
  },
  Pod: {
    node: batched<Pod, Tagged<Node> | null>(async (c, qs, ctx) => {
      const nodes = nodesByName(await ctx.kns.snapshot(c))
      return qs.map(q => {
        const n = nodes.get(q.obj.spec.nodeName ?? '')
        return n == null ? null : tag(n, c)
      })
    })
  },
  Node: {
    pods: batched<Node, Array<Tagged<Pod>>>(async (c, qs, ctx) => {
      const by = podsByNode(await ctx.kns.snapshot(c))
      return qs.map(q => (by.get(q.obj.metadata.name) ?? []).map(p => tag(p, c)))
    })
  }
}
