/**
 * The GraphQL API: mercurius at POST/GET /graphql over the schema in schema.ts, the resolvers that
 * call the same use cases as REST, query depth/cost limits, CSRF prevention (a simple
 * cross-site form post cannot run an operation), and GraphiQL at /graphiql.
 *
 * HTTP status of an answer with `errors[]` (mercurius's own formatter answers 200 for several
 * validation errors but 400 for a single one): a request that never reached execution (the document
 * does not parse or validate, depth/cost limits, variables of the wrong type, no operation to run)
 * answers 400, or the status its error carries (405 mutation over GET, 413 body too large...), with
 * `data: null`; a request that executed answers 200 with `data` and the field errors, as the GraphQL
 * over HTTP spec has it for application/json.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import mercurius, { type MercuriusContext } from 'mercurius'
import type { ExecutionResult } from 'graphql'
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

type Execution = ExecutionResult & Required<Pick<ExecutionResult, 'errors'>>

/** mercurius's formatting of the errors, with the status code chosen as described above. */
export function formatErrors (execution: Execution, ctx: MercuriusContext): { statusCode: number, response: ReturnType<typeof mercurius.defaultErrorFormatter>['response'] } {
  const { response } = mercurius.defaultErrorFormatter(execution, ctx)
  // graphql-js puts `data` (possibly null) in every result of an execution that started; the errors
  // raised before (parse, validation, mercurius's route checks) come without it
  if ('data' in execution) return { statusCode: 200, response }
  const code = (execution.errors[0]?.originalError as { statusCode?: unknown } | undefined)?.statusCode
  return { statusCode: typeof code === 'number' && code >= 400 && code < 600 ? code : 400, response }
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
    errorFormatter: formatErrors as never,
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
