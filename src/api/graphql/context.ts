/**
 * The per-request GraphQL context: the store, the request (for error mapping and logging) and
 * request-scoped memo of cluster snapshots and NodePort tables (the table also per generation), so
 * one query reads each cluster once however many nested fields ask for it. Objects handed to nested
 * resolvers are remembered with the name of their cluster (invisible to GraphQL).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { memo, type Store, type ClusterSnapshot } from '../../store/index.ts'
import { clusterSnapshot, listNodePorts, type NodePortTable } from '../../cluster/actions/index.ts'
import type { QueryLimits } from './limits.ts'

export const CLUSTER = Symbol('kubenetsim.cluster')

/** An object whose cluster is known (see {@link tag}); the brand exists for the type checker only. */
export type Tagged<T> = T & { readonly [CLUSTER]?: string }

/**
 * Which cluster each object handed to GraphQL belongs to. Keyed by the object itself, so snapshot
 * objects go out as they are (no copy per object and field): an object is only ever part of one
 * cluster's snapshot, or fresh from one write.
 */
const clusters = new WeakMap<object, string>()

/** `obj` itself, remembered as belonging to `cluster` (snapshot objects are shared: never mutate them). */
export function tag<T extends object> (obj: T, cluster: string): Tagged<T> {
  clusters.set(obj, cluster)
  return obj as Tagged<T>
}

export function clusterOf (obj: object): string {
  const c = clusters.get(obj)
  if (c === undefined) throw new Error('graphql: object without its cluster')
  return c
}

export interface GraphQLRequestState {
  store: Store
  request: FastifyRequest
  snapshot: (cluster: string) => Promise<ClusterSnapshot>
  /** the snapshot {@link snapshot} already answered in this request, if any (lets nested fields resolve without a promise) */
  snapshotNow: (cluster: string) => ClusterSnapshot | undefined
  nodePorts: (cluster: string) => Promise<NodePortTable>
  limits: QueryLimits
}

declare module 'mercurius' {
  interface MercuriusContext {
    kns: GraphQLRequestState
  }
}

interface AsyncMemo<T> {
  get: (key: string) => Promise<T>
  /** the value once settled */
  now: (key: string) => T | undefined
}

function memoAsync<T> (fn: (key: string) => Promise<T>): AsyncMemo<T> {
  const cache = new Map<string, Promise<T>>()
  const done = new Map<string, T>()
  return {
    get: async (key) => {
      let p = cache.get(key)
      if (p == null) {
        cache.set(key, p = fn(key))
        p.then(v => { done.set(key, v) }, () => {})
      }
      return await p
    },
    now: (key) => done.get(key)
  }
}

export function buildContext (store: Store, limits: QueryLimits) {
  return (request: FastifyRequest, _reply: FastifyReply): { kns: GraphQLRequestState } => {
    const snapshots = memoAsync(async c => await clusterSnapshot(store, c))
    const snapshot = snapshots.get
    return {
      kns: {
        store,
        request,
        snapshot,
        snapshotNow: snapshots.now,
        // The allocation table changes only in writes that bump the cluster's generation, so it is
        // read once per generation and kept on the snapshot like the other derived data.
        nodePorts: memoAsync(async c => await memo(await snapshot(c), 'graphql:nodeports', async () => await listNodePorts(store, c))).get,
        limits
      }
    }
  }
}
