import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ok } from './shared.ts'

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', {
    schema: { security: [], operationId: 'healthz', tags: ['health'], description: 'Liveness: answers ok when the server runs.', response: { 200: ok('Health', 'the server runs') } }
  }, async () => ({ status: 'ok' as const }))
}
export default health
