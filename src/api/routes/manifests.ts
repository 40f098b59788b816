/** POST /api/v1/clusters/{cluster}/manifests: multi-document YAML or a JSON List, all or nothing. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { applyManifests } from '../../cluster/actions/index.ts'
import { badRequest } from '../../cluster/errors.ts'
import { addManifestParsers, type RawManifest } from '../body.ts'
import { ClusterParams, errors, ok } from './shared.ts'

const manifests: FastifyPluginAsyncTypebox = async (app) => {
  addManifestParsers(app)
  app.post('/manifests', {
    schema: {
      operationId: 'applyManifests',
      tags: ['manifests'],
      description: 'Applies Nodes, Pods and Services (create, or replace when they exist) in ONE transaction: any error writes nothing and names the document.',
      params: ClusterParams,
      consumes: ['application/yaml', 'application/json'],
      'x-body': Type.String({ description: 'multi-document YAML, or a JSON object / List' }),
      response: { 200: ok('ApplyResult', 'applied objects'), ...errors(400, 404, 409, 413, 415, 422, 500) }
    }
  }, async (req) => {
    const body = req.body as RawManifest | undefined
    if (body?.text === undefined) throw badRequest('the request has no body: send multi-document YAML (application/yaml) or JSON')
    return await applyManifests(app.store, req.params.cluster, body.text, body.type, { maxObjects: app.limits.maxManifestObjects })
  })
}
export default manifests
