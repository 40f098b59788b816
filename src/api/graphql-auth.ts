/**
 * Access control for GraphQL (the rules of src/api/auth.ts, per root field). Every Query and Mutation
 * resolver is wrapped: a field naming a cluster (`cluster:` or, for `cluster`/`deleteCluster`,
 * `name:`) is checked like the REST route inside that cluster (404 for another cluster, 403 for a
 * read-only token on a mutation); `clusters` lists only the caller's own cluster for a cluster token;
 * createCluster/deleteCluster need the admin token. Nested fields resolve from their parent object,
 * so they stay inside an allowed cluster. The resolver then runs as the caller (runAs), so REST
 * calls it makes in-process are checked again with the same principal.
 */
import type { MercuriusContext } from 'mercurius'
import { toGraphQLError } from './graphql/errors.ts'
import { checkAdmin, checkAuthenticated, checkCluster, runAs, type Principal } from './auth.ts'

type Resolver = (parent: unknown, args: Record<string, unknown>, ctx: MercuriusContext, info: unknown) => unknown
type ResolverMap = Record<string, Record<string, unknown>>

/** Query fields that compute without changing anything although they are mutations: none today. */
const READ_MUTATIONS = new Set<string>()

function principalOf (ctx: MercuriusContext): Principal {
  return (ctx.reply?.request as { principal?: Principal } | undefined)?.principal ?? { kind: 'anonymous' }
}

function check (type: 'Query' | 'Mutation', field: string, args: Record<string, unknown>, p: Principal): void {
  if (type === 'Mutation' && field === 'createCluster') return checkAdmin(p, 'creating a cluster')
  if (type === 'Mutation' && field === 'deleteCluster') return checkAdmin(p, 'deleting a cluster', String(args.name))
  if (type === 'Query' && field === 'clusters') return checkAuthenticated(p)
  const cluster = typeof args.cluster === 'string' ? args.cluster : (type === 'Query' && field === 'cluster' && typeof args.name === 'string' ? args.name : undefined)
  if (cluster !== undefined) return checkCluster(p, cluster, type === 'Mutation' && !READ_MUTATIONS.has(field))
  checkAuthenticated(p)
}

/** Wraps the root resolvers of `resolvers` with the access checks. */
export function guardResolvers<T extends ResolverMap> (resolvers: T): T {
  const out: ResolverMap = { ...resolvers }
  for (const type of ['Query', 'Mutation'] as const) {
    const fields = resolvers[type]
    if (fields == null) continue
    const wrapped: Record<string, unknown> = {}
    for (const [name, fn] of Object.entries(fields)) {
      if (typeof fn !== 'function') { wrapped[name] = fn; continue }
      wrapped[name] = async (parent: unknown, args: Record<string, unknown>, ctx: MercuriusContext, info: unknown) => {
        const p = principalOf(ctx)
        try {
          check(type, name, args ?? {}, p)
        } catch (e) {
          throw toGraphQLError(e, ctx.reply.request)
        }
        const result = await runAs(p, async () => await (fn as Resolver)(parent, args, ctx, info))
        if (type === 'Query' && name === 'clusters' && p.kind === 'cluster') return onlyOwn(result, p.cluster)
        return result
      }
    }
    out[type] = wrapped
  }
  return out as T
}

function onlyOwn (list: unknown, cluster: string): unknown {
  const l = list as { items?: Array<{ metadata?: { name?: string } }> }
  if (l == null || !Array.isArray(l.items)) return list
  return { ...l, items: l.items.filter(c => c.metadata?.name === cluster) }
}
