/**
 * The GraphQL API: mercurius at POST/GET /graphql over the schema in schema.ts, the resolvers that
 * call the same use cases as REST, query depth/cost limits, CSRF prevention (a simple
 * cross-site form post cannot run an operation), and GraphiQL at /graphiql.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import mercurius from 'mercurius'
import { SDL } from './schema.ts'
import { resolvers, scalars, unionTypes } from './resolvers.ts'
import { guardResolvers } from '../graphql-auth.ts'
import { buildContext } from './context.ts'
import { defaultLimits, limitsRule, type QueryLimits } from './limits.ts'
import { registerGraphiQL } from './graphiql.ts'
import { EXAMPLES, IPTABLES_EXAMPLE, RULES_EXAMPLE, TRACE_EXAMPLE, type Example } from './examples.ts'

export interface GraphQLPluginOptions {
  limits?: Partial<QueryLimits>
}

const graphql: FastifyPluginAsyncTypebox<GraphQLPluginOptions> = async (app, opts) => {
  const limits: QueryLimits = { ...defaultLimits(), ...opts.limits }
  await app.register(mercurius, {
    schema: SDL,
    resolvers: { ...guardResolvers(resolvers), ...unionTypes, ...scalars } as never,
    context: buildContext(app.store, limits) as never,
    path: '/graphql',
    graphiql: false,
    csrfPrevention: true,
    validationRules: [limitsRule(limits)]
  })
  // examples for the features whose REST routes are registered (checked once the app is built)
  let examples: Example[] | undefined
  registerGraphiQL(app, () => {
    examples ??= [
      ...EXAMPLES,
      ...(app.hasRoute({ method: 'GET', url: '/api/v1/clusters/:cluster/namespaces/:ns/services/:name/rules' }) ? [RULES_EXAMPLE] : []),
      ...(app.hasRoute({ method: 'GET', url: '/api/v1/clusters/:cluster/nodes/:node/iptables' }) ? [IPTABLES_EXAMPLE] : []),
      ...(app.hasRoute({ method: 'POST', url: '/api/v1/clusters/:cluster/traces' }) ? [TRACE_EXAMPLE] : [])
    ]
    return examples
  })
}
export default graphql
