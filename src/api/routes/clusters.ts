/** /api/v1/clusters: create, list, get, delete virtual clusters. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { createClusterWithTokens, deleteCluster, getCluster, listClusters, CLUSTER_API_VERSION, type ClusterInput } from '../../cluster/actions/clusters.ts'
import { ClusterParams, errors, ok } from './shared.ts'

const clusters: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/clusters', {
    config: { kind: 'Cluster' },
    schema: {
      operationId: 'createCluster',
      tags: ['clusters'],
      description: 'Creates a virtual cluster (needs the admin token when access control is on; the answer then carries `tokens.readWrite` and `tokens.readOnly`, shown once). Defaults: serviceCIDR 10.96.0.0/12, clusterCIDR 10.244.0.0/16, nodePortRange 30000-32767, kube-proxy profile current. Unknown fields are rejected.',
      consumes: ['application/json', 'application/yaml'],
      body: Type.Ref('ClusterCreate'),
      response: { 201: ok('Cluster', 'the created cluster'), ...errors(400, 401, 403, 409, 413, 415, 422) }
    }
  }, async (req, reply) => {
    reply.code(201)
    // the tokens are shown once, when access control is on
    const { cluster, tokens } = await createClusterWithTokens(app.store, req.body as ClusterInput)
    return app.auth.enabled ? { ...cluster, tokens } : cluster
  })

  app.get('/clusters', {
    schema: { operationId: 'listClusters', tags: ['clusters'], description: 'Lists the clusters.', response: { 200: ok('ClusterList', 'every cluster') } }
  }, async () => ({ kind: 'ClusterList', apiVersion: CLUSTER_API_VERSION, metadata: {}, items: await listClusters(app.store) }))

  app.get('/clusters/:cluster', {
    schema: { operationId: 'getCluster', tags: ['clusters'], description: 'Reads a cluster.', params: ClusterParams, response: { 200: ok('Cluster', 'the cluster'), ...errors(404) } }
  }, async (req) => await getCluster(app.store, req.params.cluster))

  app.delete('/clusters/:cluster', {
    schema: {
      operationId: 'deleteCluster',
      tags: ['clusters'],
      description: 'Deletes a cluster and everything in it (nodes, pods, services, allocations).',
      params: ClusterParams,
      response: { 200: ok('Cluster', 'the deleted cluster'), ...errors(404) }
    }
  }, async (req) => await deleteCluster(app.store, req.params.cluster))
}
export default clusters
