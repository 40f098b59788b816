/** POST /api/v1/clusters/:cluster/tokens: rotates the cluster's bearer tokens (src/api/auth.ts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { notFound } from '../../cluster/errors.ts'
import { issueTokensTx } from '../../store/tokens.ts'
import { ClusterParams, errors } from './shared.ts'

export const ClusterTokensSchema = Type.Object({
  kind: Type.Literal('ClusterTokens'),
  apiVersion: Type.String(),
  metadata: Type.Object({ name: Type.String() }),
  readWrite: Type.String({ description: 'bearer token that reads and writes this cluster only' }),
  readOnly: Type.String({ description: 'bearer token that only reads this cluster' })
}, { $id: 'ClusterTokens', description: 'the tokens of one cluster; shown once (only their sha256 is stored)' })

const tokens: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/tokens', {
    schema: {
      operationId: 'rotateClusterTokens',
      tags: ['clusters'],
      description: 'Replaces both tokens of the cluster (the old ones stop working at once) and answers the new ones. Needs the admin token or the cluster\'s read-write token.',
      params: ClusterParams,
      response: { 201: Type.Ref('ClusterTokens', { description: 'the new tokens' }), ...errors(401, 403, 404) }
    }
  }, async (req, reply) => {
    const name = req.params.cluster
    const t = await app.store.write(async ctx => {
      const rec = await ctx.repo.findCluster(name)
      if (rec == null) throw notFound('clusters', name, 'kubenetsim.io')
      return await issueTokensTx(ctx.repo, rec.id)
    })
    app.auth?.forget()
    reply.code(201)
    return { kind: 'ClusterTokens' as const, apiVersion: 'kubenetsim.io/v1', metadata: { name }, ...t }
  })
}
export default tokens
