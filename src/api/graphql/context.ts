/**
 * The per-request GraphQL context: the store, the request (for error mapping and logging) and
 * request-scoped memo of cluster snapshots and NodePort tables (the table also per generation), so
 * one query reads each cluster once however many nested fields ask for it. Objects handed to nested resolvers carry the name of
 * their cluster under a symbol (invisible to GraphQL).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { memo, type Store, type ClusterSnapshot } from '../../store/index.ts'
import { clusterSnapshot, listNodePorts, type NodePortTable } from '../../cluster/actions/index.ts'
import type { QueryLimits } from './limits.ts'

export const CLUSTER = Symbol('kubenetsim.cluster')

export type Tagged<T> = T & { [CLUSTER]: string }

/** A shallow copy of `obj` remembering its cluster (snapshot objects are shared: never mutate them). */
export function tag<T extends object> (obj: T, cluster: string): Tagged<T> {
  return { ...obj, [CLUSTER]: cluster }
}

export function clusterOf (obj: object): string {
  const c = (obj as Partial<Tagged<object>>)[CLUSTER]
  if (c === undefined) throw new Error('graphql: object without its cluster')
  return c
}

export interface GraphQLRequestState {
  store: Store
  request: FastifyRequest
  snapshot: (cluster: string) => Promise<ClusterSnapshot>
  nodePorts: (cluster: string) => Promise<NodePortTable>
  limits: QueryLimits
}

declare module 'mercurius' {
  interface MercuriusContext {
    kns: GraphQLRequestState
  }
}

function memoAsync<T> (fn: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>()
  return async (key) => {
    let p = cache.get(key)
    if (p == null) cache.set(key, p = fn(key))
    return await p
  }
}

export function buildContext (store: Store, limits: QueryLimits) {
  return (request: FastifyRequest, _reply: FastifyReply): { kns: GraphQLRequestState } => {
    const snapshot = memoAsync(async c => await clusterSnapshot(store, c))
    return {
      kns: {
        store,
        request,
        snapshot,
        // The allocation table changes only in writes that bump the cluster's generation, so it is
        // read once per generation and kept on the snapshot like the other derived data.
        nodePorts: memoAsync(async c => await memo(await snapshot(c), 'graphql:nodeports', async () => await listNodePorts(store, c))),
        limits
      }
    }
  }
}
