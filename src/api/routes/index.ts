/**
 * Every route plugin of the app, registered in this order by buildApp (after @fastify/swagger, so
 * they appear in openapi.yaml). Route plugins reach the database through `app.store` (src/store) and
 * the use cases in src/cluster/actions. After adding routes, run `npm run openapi`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import health from './health.ts'
import clusters from './clusters.ts'
import nodes from './nodes.ts'
import pods from './pods.ts'
import services from './services.ts'
import views from './cluster-views.ts'
import manifests from './manifests.ts'
import traces from './traces.ts'
import graphql from '../graphql/plugin.ts'
import netfilter from './netfilter.ts'
import iptables from './iptables.ts'
import tokens from './tokens.ts'

export interface RouteEntry {
  name: string
  plugin: FastifyPluginAsyncTypebox
  prefix?: string
}

/** Prefix of everything inside one cluster. */
export const CLUSTER_PREFIX = '/api/v1/clusters/:cluster'

export const ROUTES: RouteEntry[] = [
  { name: 'health', plugin: health },
  { name: 'clusters', plugin: clusters, prefix: '/api/v1' },
  { name: 'nodes', plugin: nodes, prefix: CLUSTER_PREFIX },
  { name: 'pods', plugin: pods, prefix: CLUSTER_PREFIX },
  { name: 'services', plugin: services, prefix: CLUSTER_PREFIX },
  { name: 'cluster-views', plugin: views, prefix: CLUSTER_PREFIX },
  { name: 'manifests', plugin: manifests, prefix: CLUSTER_PREFIX },
  // ---- Other helpers register their plugins below this line (one entry each) -------------------
  { name: 'traces', plugin: traces, prefix: CLUSTER_PREFIX },
  // netfilter standalone routes:  { name: 'netfilter', plugin: netfilter, prefix: '/api/v1' }   (src/api/routes/netfilter.ts)
  { name: 'netfilter', plugin: netfilter, prefix: '/api/v1' },
  // iptables views per node, traces:  { name: 'iptables', plugin: ..., prefix: CLUSTER_PREFIX }
  { name: 'iptables', plugin: iptables, prefix: CLUSTER_PREFIX },
  // GraphQL (mercurius):  { name: 'graphql', plugin: ... }
  { name: 'graphql', plugin: graphql },
  // cluster token rotation (src/api/auth.ts)
  { name: 'tokens', plugin: tokens, prefix: CLUSTER_PREFIX }
]
