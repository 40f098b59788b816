/** /api/v1/clusters/{cluster}/nodes */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createNode, deleteNode, getNode, listNodes, replaceNode } from '../../cluster/actions/index.ts'
import { ClusterParams, NamedClusterParams, OBJECT_CONSUMES, WRITE_ERRORS, errors, ok } from './shared.ts'

const nodes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/nodes', {
    schema: { operationId: 'listNodes', tags: ['nodes'], description: 'Lists the nodes.', params: ClusterParams, response: { 200: ok('NodeList', 'NodeList'), ...errors(404) } }
  }, async (req) => await listNodes(app.store, req.params.cluster))

  app.post('/nodes', {
    schema: {
      operationId: 'createNode',
      tags: ['nodes'],
      description: 'Creates a node. spec.podCIDR is the next free /24 of the cluster CIDR unless given.',
      params: ClusterParams,
      consumes: OBJECT_CONSUMES,
      'x-body': { $ref: 'Node' },
      response: { 201: ok('Node', 'the created node'), ...errors(...WRITE_ERRORS) }
    }
  }, async (req, reply) => {
    reply.code(201)
    return await createNode(app.store, req.params.cluster, req.body)
  })

  app.get('/nodes/:name', {
    schema: { operationId: 'getNode', tags: ['nodes'], description: 'Reads a node.', params: NamedClusterParams, response: { 200: ok('Node', 'the node'), ...errors(404) } }
  }, async (req) => await getNode(app.store, req.params.cluster, req.params.name))

  app.put('/nodes/:name', {
    schema: {
      operationId: 'replaceNode',
      tags: ['nodes'],
      description: 'Replaces a node (creates it when missing). A stale metadata.resourceVersion answers 409 Conflict.',
      params: NamedClusterParams,
      consumes: OBJECT_CONSUMES,
      'x-body': { $ref: 'Node' },
      response: { 200: ok('Node', 'the replaced node'), 201: ok('Node', 'the created node'), ...errors(...WRITE_ERRORS) }
    }
  }, async (req, reply) => {
    const r = await replaceNode(app.store, req.params.cluster, req.params.name, req.body)
    reply.code(r.created ? 201 : 200)
    return r.object
  })

  app.delete('/nodes/:name', {
    schema: { operationId: 'deleteNode', tags: ['nodes'], description: 'Deletes a node (its pods stay).', params: NamedClusterParams, response: { 200: ok('Node', 'the deleted node'), ...errors(404) } }
  }, async (req) => await deleteNode(app.store, req.params.cluster, req.params.name))
}
export default nodes
