/** Derived views of a cluster: EndpointSlices and the NodePort allocation table. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { listEndpointSlices, listNodePorts } from '../../cluster/actions/index.ts'
import { ClusterParams, NsParams, errors, ok } from './shared.ts'

const views: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/namespaces/:ns/endpointslices', {
    schema: {
      operationId: 'listEndpointSlices',
      tags: ['endpointslices'],
      description: 'EndpointSlices of the namespace, derived from pods by each service selector as the EndpointSlice controller does.',
      params: NsParams,
      response: { 200: ok('EndpointSliceList', 'EndpointSliceList'), ...errors(404) }
    }
  }, async (req) => await listEndpointSlices(app.store, req.params.cluster, req.params.ns))

  app.get('/nodeports', {
    schema: {
      operationId: 'listNodePorts',
      tags: ['services'],
      description: 'The NodePort allocation table: which service holds each allocated port.',
      params: ClusterParams,
      response: { 200: ok('NodePortTable', 'allocated NodePorts by port'), ...errors(404) }
    }
  }, async (req) => await listNodePorts(app.store, req.params.cluster))
}
export default views
