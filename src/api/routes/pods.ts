/** /api/v1/clusters/{cluster}/namespaces/{ns}/pods */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createPod, deletePod, getPod, listPods, replacePod } from '../../cluster/actions/index.ts'
import { NsNameParams, NsParams, OBJECT_CONSUMES, WRITE_ERRORS, errors, ok } from './shared.ts'

const pods: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/namespaces/:ns/pods', {
    schema: { operationId: 'listPods', tags: ['pods'], description: 'Lists the pods of a namespace.', params: NsParams, response: { 200: ok('PodList', 'PodList'), ...errors(404) } }
  }, async (req) => await listPods(app.store, req.params.cluster, req.params.ns))

  app.post('/namespaces/:ns/pods', {
    schema: {
      operationId: 'createPod',
      tags: ['pods'],
      description: 'Creates a pod. status.podIP comes from the node podCIDR (CNI host-local order, .1 is the gateway) unless given; hostNetwork pods take the node InternalIP.',
      params: NsParams,
      consumes: OBJECT_CONSUMES,
      'x-body': { $ref: 'Pod' },
      response: { 201: ok('Pod', 'the created pod'), ...errors(...WRITE_ERRORS) }
    }
  }, async (req, reply) => {
    reply.code(201)
    return await createPod(app.store, req.params.cluster, req.params.ns, req.body)
  })

  app.get('/namespaces/:ns/pods/:name', {
    schema: { operationId: 'getPod', tags: ['pods'], description: 'Reads a pod.', params: NsNameParams, response: { 200: ok('Pod', 'the pod'), ...errors(404) } }
  }, async (req) => await getPod(app.store, req.params.cluster, req.params.ns, req.params.name))

  app.put('/namespaces/:ns/pods/:name', {
    schema: {
      operationId: 'replacePod',
      tags: ['pods'],
      description: 'Replaces a pod (creates it when missing). A stale metadata.resourceVersion answers 409 Conflict.',
      params: NsNameParams,
      consumes: OBJECT_CONSUMES,
      'x-body': { $ref: 'Pod' },
      response: { 200: ok('Pod', 'the replaced pod'), 201: ok('Pod', 'the created pod'), ...errors(...WRITE_ERRORS) }
    }
  }, async (req, reply) => {
    const r = await replacePod(app.store, req.params.cluster, req.params.ns, req.params.name, req.body)
    reply.code(r.created ? 201 : 200)
    return r.object
  })

  app.delete('/namespaces/:ns/pods/:name', {
    schema: { operationId: 'deletePod', tags: ['pods'], description: 'Deletes a pod, releasing its IP.', params: NsNameParams, response: { 200: ok('Pod', 'the deleted pod'), ...errors(404) } }
  }, async (req) => await deletePod(app.store, req.params.cluster, req.params.ns, req.params.name))
}
export default pods
