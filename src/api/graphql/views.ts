/**
 * The rules, trace and standalone-engine fields. iptables views, cluster traces and netfilter traces
 * (and the per-service rules) go through the REST routes in-process (rest.ts) until their owners
 * expose shared functions, so they share the REST routes' caches and state.
 */
import type { MercuriusContext } from 'mercurius'
import type { Service } from '../../cluster/model.ts'
import { clusterOf, type Tagged } from './context.ts'
import { StatusError } from '../../cluster/errors.ts'
import { limitError } from './errors.ts'
import { seg, viaRest } from './rest.ts'

type Ctx = MercuriusContext

export interface IptablesArgs { format?: string | null, table?: string | null, service?: string | null, chain?: string | null }

const CLUSTERS = '/api/v1/clusters'

export async function iptables (ctx: Ctx, cluster: string, node: string, a: IptablesArgs): Promise<Record<string, unknown>> {
  const format = a.format ?? 'save'
  const query: Record<string, string> = { format }
  if (a.table != null) query.table = a.table
  if (a.service != null) query.service = a.service
  if (a.chain != null) query.chain = a.chain
  const r = await viaRest(ctx.app, { method: 'GET', url: `${CLUSTERS}/${seg(cluster)}/nodes/${seg(node)}/iptables`, query, accept: format === 'json' ? 'application/json' : 'text/plain' })
  if (format === 'json') return { format, ...(r.json() as Record<string, unknown>) }
  return { node, format, text: r.text }
}

/** Service.rules(node): REST's per-node view of the service's chains and rules. */
export async function serviceRules (ctx: Ctx, svc: Tagged<Service>, node: string | null | undefined): Promise<unknown> {
  const m = svc.metadata
  const url = `${CLUSTERS}/${seg(clusterOf(svc))}/namespaces/${seg(m.namespace ?? 'default')}/services/${seg(m.name)}/rules`
  return (await viaRest(ctx.app, { method: 'GET', url, ...(node != null ? { query: { node } } : {}) })).json()
}

export interface TraceArgs {
  cluster: string
  packet: { protocol: string, destination: Record<string, unknown>, source: Record<string, unknown> }
  options?: { mode?: string, seed?: number, reply?: boolean, detail?: string, advanceSeconds?: number, maxBranches?: number } | null
}

/** The branch budget of an all-mode trace: the caller's, never above the server's limit. */
function capBranches (ctx: Ctx, asked: number | undefined): number {
  const cap = ctx.kns.limits.maxTraceBranches
  if (asked !== undefined && asked > cap) {
    throw limitError(`options.maxBranches ${asked} exceeds the limit of ${cap} branches for an all-mode trace over GraphQL`, 'TRACE_TOO_MANY_BRANCHES', { maxBranches: cap })
  }
  return asked ?? cap
}

const plain = (v: unknown): unknown => v == null ? v : JSON.parse(JSON.stringify(v))

export async function trace (ctx: Ctx, a: TraceArgs): Promise<unknown> {
  const { maxBranches, ...options } = (plain(a.options) ?? {}) as NonNullable<TraceArgs['options']>
  const limit = capBranches(ctx, maxBranches)
  const body = { ...(plain(a.packet) as object), ...options }
  const r = await viaRest(ctx.app, { method: 'POST', url: `${CLUSTERS}/${seg(a.cluster)}/traces`, payload: body })
  const out = r.json() as { paths: unknown[], request: { mode: string } }
  if (out.paths.length > limit) {
    throw limitError(`the trace has ${out.paths.length} possible paths; at most ${limit} may be enumerated in mode all over GraphQL (use mode: sample, or raise options.maxBranches up to ${ctx.kns.limits.maxTraceBranches})`,
      'TRACE_TOO_MANY_BRANCHES', { paths: out.paths.length, maxBranches: limit })
  }
  return out
}

export interface NetfilterArgs { ruleset: string, host: unknown, packet?: unknown, packets?: unknown[] | null, options?: Record<string, unknown> | null }

export async function netfilterTrace (ctx: Ctx, a: NetfilterArgs): Promise<unknown> {
  const options = { ...((plain(a.options) ?? {}) as Record<string, unknown>) }
  options.maxBranches = capBranches(ctx, typeof options.maxBranches === 'number' ? options.maxBranches : undefined)
  const body: Record<string, unknown> = { ruleset: a.ruleset, host: plain(a.host), options }
  if (a.packet != null) body.packet = plain(a.packet)
  if (a.packets != null) body.packets = plain(a.packets)
  try {
    return (await viaRest(ctx.app, { method: 'POST', url: '/api/v1/netfilter/traces', payload: body })).json()
  } catch (e) {
    // the engine's own branch budget (which GraphQL sets): same message, the limit's code
    if (e instanceof StatusError && /random branches/.test(e.status.message)) {
      throw limitError(e.status.message, 'TRACE_TOO_MANY_BRANCHES', { maxBranches: options.maxBranches, status: e.status })
    }
    throw e
  }
}
