/**
 * Query protections, checked during validation (before anything runs): the depth of field nesting
 * and a static cost estimate. Each field costs 1 (heavier fields more, see FIELD_COST); a field that
 * returns a list multiplies the cost of what is selected under it by LIST_FACTOR; selections inside a
 * computed result (COMPUTED_TYPES) are free. Introspection
 * (`__schema`, `__type`) is exempt so GraphiQL works. Exceeding a limit answers a GraphQL error with
 * `extensions.code` QUERY_TOO_DEEP (checked first) or QUERY_TOO_COSTLY and the measured and allowed values.
 */
import {
  GraphQLError, getNamedType, getNullableType, isListType, isObjectType, isInterfaceType,
  type FragmentDefinitionNode, type GraphQLNamedType, type GraphQLSchema, type OperationDefinitionNode,
  type SelectionSetNode, type ValidationContext, type ASTVisitor
} from 'graphql'

export interface QueryLimits {
  /** deepest field nesting allowed (root fields are depth 1) */
  maxDepth: number
  /** largest static cost allowed */
  maxCost: number
  /** most outcomes an `all`-mode trace may enumerate */
  maxTraceBranches: number
}

const envInt = (name: string, dflt: number): number => {
  const v = Number(process.env[name])
  return Number.isInteger(v) && v > 0 ? v : dflt
}

export function defaultLimits (): QueryLimits {
  return {
    maxDepth: envInt('GRAPHQL_MAX_DEPTH', 12),
    maxCost: envInt('GRAPHQL_MAX_COST', 50_000),
    maxTraceBranches: envInt('GRAPHQL_MAX_TRACE_BRANCHES', 256)
  }
}

export const LIST_FACTOR = 10

/**
 * Results computed as a whole (a trace, a rule view): the work is in the field that computes them,
 * which is priced in FIELD_COST; selecting inside them only serializes what is already there.
 */
export const COMPUTED_TYPES = new Set(['Trace', 'NetfilterTrace', 'IptablesView', 'ServiceRules', 'TraceAffinity'])

/** Fields that do real work (rule rendering, packet traces) cost more than a lookup. */
export const FIELD_COST: Record<string, number> = {
  'Query.trace': 2500,
  'Query.netfilterTrace': 2500,
  'Query.iptables': 25,
  'Node.iptables': 25,
  'Service.rules': 25,
  'Mutation.applyManifests': 10
}

interface Walk {
  schema: GraphQLSchema
  fragments: (name: string) => FragmentDefinitionNode | null | undefined
}

function measure (w: Walk, type: GraphQLNamedType | undefined, set: SelectionSetNode, depth: number, seen: Set<string>): { depth: number, cost: number } {
  let maxDepth = depth
  let cost = 0
  for (const sel of set.selections) {
    if (sel.kind === 'Field') {
      const name = sel.name.value
      if (name.startsWith('__')) continue // introspection and __typename are free
      const def = type != null && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[name] : undefined
      const own = type == null ? 1 : (FIELD_COST[`${type.name}.${name}`] ?? 1)
      cost += own
      maxDepth = Math.max(maxDepth, depth + 1)
      if (sel.selectionSet != null) {
        const isList = def != null && isListType(getNullableType(def.type))
        const named = def == null ? undefined : getNamedType(def.type)
        const sub = measure(w, named, sel.selectionSet, depth + 1, seen)
        maxDepth = Math.max(maxDepth, sub.depth)
        if (named == null || !COMPUTED_TYPES.has(named.name)) cost += sub.cost * (isList ? LIST_FACTOR : 1)
      }
    } else if (sel.kind === 'InlineFragment') {
      const t = sel.typeCondition == null ? type : w.schema.getType(sel.typeCondition.name.value) ?? undefined
      const sub = measure(w, t, sel.selectionSet, depth, seen)
      maxDepth = Math.max(maxDepth, sub.depth)
      cost += sub.cost
    } else {
      const name = sel.name.value
      if (seen.has(name)) continue // a cycle is reported by graphql's own NoFragmentCycles rule
      const frag = w.fragments(name)
      if (frag == null) continue
      const next = new Set(seen).add(name)
      const sub = measure(w, w.schema.getType(frag.typeCondition.name.value) ?? undefined, frag.selectionSet, depth, next)
      maxDepth = Math.max(maxDepth, sub.depth)
      cost += sub.cost
    }
  }
  return { depth: maxDepth, cost }
}

/** Depth and cost of one operation. */
export function measureOperation (schema: GraphQLSchema, op: OperationDefinitionNode, fragments: Walk['fragments']): { depth: number, cost: number } {
  const root = op.operation === 'mutation' ? schema.getMutationType() : op.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType()
  return measure({ schema, fragments }, root ?? undefined, op.selectionSet, 0, new Set())
}

/** The validation rule enforcing `limits`. */
export function limitsRule (limits: QueryLimits) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition (op) {
      const { depth, cost } = measureOperation(context.getSchema(), op, n => context.getFragment(n))
      const name = op.name?.value ?? 'anonymous'
      if (depth > limits.maxDepth) {
        context.reportError(new GraphQLError(`operation ${name} is ${depth} levels deep; the maximum query depth is ${limits.maxDepth}`,
          { nodes: [op], extensions: { code: 'QUERY_TOO_DEEP', depth, maxDepth: limits.maxDepth } }))
      } else if (cost > limits.maxCost) {
        context.reportError(new GraphQLError(`operation ${name} has an estimated cost of ${cost}; the maximum query cost is ${limits.maxCost} (lists count ${LIST_FACTOR}x, traces ${FIELD_COST['Query.trace']}, rule views ${FIELD_COST['Service.rules']})`,
          { nodes: [op], extensions: { code: 'QUERY_TOO_COSTLY', cost, maxCost: limits.maxCost } }))
      }
    }
  })
}
