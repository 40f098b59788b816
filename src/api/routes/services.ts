/** /api/v1/clusters/{cluster}/namespaces/{ns}/services */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createService, deleteService, getService, listServices, replaceService } from '../../cluster/actions/index.ts'
import { NsNameParams, NsParams, OBJECT_CONSUMES, WRITE_ERRORS, errors, ok } from './shared.ts'

const services: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/namespaces/:ns/services', {
    schema: { operationId: 'listServices', tags: ['services'], description: 'Lists the services of a namespace.', params: NsParams, response: { 200: ok('ServiceList', 'ServiceList'), ...errors(404) } }
  }, async (req) => await listServices(app.store, req.params.cluster, req.params.ns))

  app.post('/namespaces/:ns/services', {
    schema: {
      operationId: 'createService',
      tags: ['services'],
      description: 'Creates a service: allocates its ClusterIP and NodePorts (as the API server does, before validation), validates, stores; any failure rolls the allocations back.',
      params: NsParams,
      consumes: OBJECT_CONSUMES,
      'x-body': { $ref: 'Service' },
      response: { 201: ok('Service', 'the created service'), ...errors(...WRITE_ERRORS) }
    }
  }, async (req, reply) => {
    reply.code(201)
    return await createService(app.store, req.params.cluster, req.params.ns, req.body)
  })

  app.get('/namespaces/:ns/services/:name', {
    schema: { operationId: 'getService', tags: ['services'], description: 'Reads a service.', params: NsNameParams, response: { 200: ok('Service', 'the service'), ...errors(404) } }
  }, async (req) => await getService(app.store, req.params.cluster, req.params.ns, req.params.name))

  app.put('/namespaces/:ns/services/:name', {
    schema: {
      operationId: 'replaceService',
      tags: ['services'],
      description: 'Replaces a service (creates it when missing). Omitted clusterIP and nodePorts are kept; a type change releases NodePorts; a stale metadata.resourceVersion answers 409 Conflict.',
      params: NsNameParams,
      consumes: OBJECT_CONSUMES,
      'x-body': { $ref: 'Service' },
      response: { 200: ok('Service', 'the replaced service'), 201: ok('Service', 'the created service'), ...errors(...WRITE_ERRORS) }
    }
  }, async (req, reply) => {
    const r = await replaceService(app.store, req.params.cluster, req.params.ns, req.params.name, req.body)
    reply.code(r.created ? 201 : 200)
    return r.object
  })

  app.delete('/namespaces/:ns/services/:name', {
    schema: { operationId: 'deleteService', tags: ['services'], description: 'Deletes a service and releases its ClusterIP and NodePorts.', params: NsNameParams, response: { 200: ok('Service', 'the deleted service'), ...errors(404) } }
  }, async (req) => await deleteService(app.store, req.params.cluster, req.params.ns, req.params.name))
}
export default services
