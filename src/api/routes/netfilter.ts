/**
 * Standalone netfilter engine endpoints (no cluster needed):
 * - POST /netfilter/traces: ruleset text + host + one packet or a short sequence sharing conntrack
 *   state → structured trace JSON, or kernel-style text (`Accept: text/plain` or `?format=trace`,
 *   `?format=xtables-monitor`).
 * - POST /netfilter/canonical: ruleset text → canonical iptables-save text.
 * Parse errors are 400 Status objects naming line and column; engine errors are 400 too.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static, type TSchema } from 'typebox'
import {
  parseRuleset, renderRuleset, prepareRuleset, createEngineState, createHost, evaluatePacket, NetfilterError,
  HostError, EvaluationError, renderLegacyTraceLines, renderXtablesMonitorTraceLines, conntrackEntries, describeEntry, readCounters
} from '../../netfilter/index.ts'
import type { Branch, EvaluateOptions, HostSpec, Packet, Step } from '../../netfilter/index.ts'
import { StatusError, badRequest } from '../../cluster/errors.ts'
import { errors } from './shared.ts'

const opt = <T extends TSchema>(s: T) => Type.Optional(s)
const Int = (min: number, max: number, description?: string) => Type.Integer({ minimum: min, maximum: max, ...(description !== undefined ? { description } : {}) })
const IPv4 = Type.String({ description: 'dotted-quad IPv4 address', maxLength: 15 })

const PacketSchema = Type.Object({
  src: opt(IPv4),
  dst: IPv4,
  proto: Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('sctp'), Type.Literal('icmp'), Int(0, 255)]),
  sport: opt(Int(0, 65535)),
  dport: opt(Int(0, 65535)),
  tcpFlags: opt(Type.Union([Type.Array(Type.String({ maxLength: 3 }), { maxItems: 8 }), Int(0, 255)], { description: 'flag names (SYN, ACK, FIN, RST, PSH, URG, ECE, CWR) or the flag byte; default SYN' })),
  icmpType: opt(Int(0, 255)),
  icmpCode: opt(Int(0, 255)),
  icmpId: opt(Int(0, 65535)),
  icmpEmbedded: opt(Type.Object({
    src: IPv4,
    dst: IPv4,
    proto: Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('sctp'), Type.Literal('icmp'), Int(0, 255)]),
    sport: opt(Int(0, 65535)),
    dport: opt(Int(0, 65535))
  }, { additionalProperties: false, description: 'ICMP errors: the quoted header (makes the error RELATED to its connection)' })),
  inIface: opt(Type.String({ maxLength: 15, description: 'arriving on this interface (PREROUTING); omit for a locally generated packet (OUTPUT)' })),
  mark: opt(Int(0, 4294967295)),
  ttl: opt(Int(0, 255)),
  length: opt(Int(20, 65535)),
  tos: opt(Int(0, 255)),
  id: opt(Int(0, 65535)),
  df: opt(Type.Boolean()),
  fragment: opt(Type.Boolean()),
  ctState: opt(Type.Union([Type.Literal('NEW'), Type.Literal('ESTABLISHED'), Type.Literal('RELATED'), Type.Literal('INVALID'), Type.Literal('UNTRACKED')], { description: 'force the conntrack state (what-if; not recorded)' })),
  mac: opt(Type.String({ maxLength: 41 })),
  uid: opt(Int(0, 4294967295)),
  gid: opt(Int(0, 4294967295))
}, { additionalProperties: false })

const HostSchema = Type.Object({
  name: opt(Type.String({ maxLength: 253 })),
  interfaces: Type.Array(Type.Object({
    name: Type.String({ minLength: 1, maxLength: 15 }),
    addresses: opt(Type.Array(Type.String({ maxLength: 18, description: 'a.b.c.d/len' }), { maxItems: 64 })),
    up: opt(Type.Boolean()),
    loopback: opt(Type.Boolean()),
    routeLocalnet: opt(Type.Boolean())
  }, { additionalProperties: false }), { maxItems: 64 }),
  routes: opt(Type.Array(Type.Object({
    dst: Type.String({ maxLength: 18, description: '`default` or a.b.c.d/len' }),
    via: opt(IPv4),
    dev: opt(Type.String({ maxLength: 15 })),
    src: opt(IPv4),
    type: opt(Type.Union([Type.Literal('unicast'), Type.Literal('blackhole'), Type.Literal('unreachable'), Type.Literal('prohibit')])),
    metric: opt(Int(0, 4294967295))
  }, { additionalProperties: false }), { maxItems: 1024 })),
  ipForward: opt(Type.Boolean({ description: 'net.ipv4.ip_forward' })),
  routeLocalnet: opt(Type.Boolean({ description: 'net.ipv4.conf.all.route_localnet' })),
  tcpLoose: opt(Type.Boolean({ description: 'net.netfilter.nf_conntrack_tcp_loose (default true)' }))
}, { additionalProperties: false })

const OptionsSchema = Type.Object({
  mode: opt(Type.Union([Type.Literal('sample'), Type.Literal('all')], { description: '`statistic --mode random`: sample with the seeded PRNG, or enumerate every branch with its probability' })),
  detail: opt(Type.Union([Type.Literal('matched'), Type.Literal('full')], { description: '`full` also lists every rule that did not match, with the reason' })),
  seed: opt(Int(0, 4294967295, 'PRNG seed (default 1)')),
  now: opt(Type.Number({ minimum: 0, description: 'virtual clock in seconds (recent match)' })),
  backend: opt(Type.Union([Type.Literal('legacy'), Type.Literal('nft')])),
  maxBranches: opt(Int(1, 4096)),
  traceAll: opt(Type.Boolean({ description: 'trace every rule hit as if a TRACE rule had matched first; default: true when the ruleset has no -j TRACE' }))
}, { additionalProperties: false })

const TraceRequest = Type.Object({
  ruleset: Type.String({ maxLength: 2_000_000, description: 'iptables-save / iptables-restore text' }),
  host: HostSchema,
  packet: opt(PacketSchema),
  packets: opt(Type.Array(PacketSchema, { minItems: 1, maxItems: 32, description: 'a short sequence sharing conntrack state (e.g. request, reply, next request); in mode `all` each packet continues from the most likely branch of the previous one' })),
  options: opt(OptionsSchema)
}, { additionalProperties: false })

const Any = Type.Unknown()
const StepSchema = Type.Object({
  type: Type.String({ description: 'rule, or an event: conntrack, nat, route, reroute, loopback, confirm, log, ttl' }),
  hook: opt(Type.String()),
  table: opt(Type.String()),
  chain: opt(Type.String()),
  kind: opt(Type.String({ description: 'rule | return | policy' })),
  n: opt(Type.Integer({ description: 'rule number as the kernel counts it (implicit entries = rules + 1)' })),
  printedKind: opt(Type.String()),
  ruleText: opt(Type.String()),
  matched: opt(Any),
  why: opt(Type.String({ description: 'for a miss: which match failed and why' })),
  verdict: opt(Type.String()),
  jumpTo: opt(Type.String()),
  note: opt(Type.String()),
  message: opt(Type.String()),
  packet: opt(Any),
  after: opt(Any)
}, { additionalProperties: true })
const BranchSchema = Type.Object({
  probability: Type.Number(),
  outcome: Type.Object({ kind: Type.String({ description: 'DELIVERED | EGRESS | DROPPED | REJECTED | NO_ROUTE | QUEUED | UNKNOWN' }) }, { additionalProperties: true }),
  packetAfter: Any,
  choices: Type.Array(Any),
  ct: Any,
  steps: Type.Array(StepSchema)
}, { additionalProperties: true })
const TraceResponse = Type.Object({
  kind: Type.Literal('NetfilterTrace'),
  results: Type.Array(Type.Object({
    packet: Any,
    probability: Type.Number(),
    outcome: Type.Object({ kind: Type.String() }, { additionalProperties: true }),
    packetAfter: Any,
    ct: Any,
    steps: Type.Array(StepSchema),
    branches: opt(Type.Array(BranchSchema, { description: 'mode all: every branch with its probability' }))
  }, { additionalProperties: true })),
  conntrack: Type.Array(Type.String(), { description: 'conntrack table after the sequence (`conntrack -L` style)' }),
  counters: Type.Array(Any)
}, { description: 'structured trace' })

const CanonicalRequest = Type.Object({
  ruleset: Type.String({ maxLength: 2_000_000 }),
  format: opt(Type.Union([Type.Literal('nft'), Type.Literal('legacy')], { description: 'iptables-save flavour (table order); default nft' }))
}, { additionalProperties: false })
const CanonicalResponse = Type.Object({ kind: Type.Literal('NetfilterCanonical'), text: Type.String() })

const TraceQuery = Type.Object({
  format: opt(Type.Union([Type.Literal('json'), Type.Literal('trace'), Type.Literal('xtables-monitor')], { description: '`trace`: legacy kernel-log TRACE lines; `xtables-monitor`: iptables-nft monitor lines' }))
}, { additionalProperties: false })

/** A ruleset parse error → 400 Status naming line and column. */
function parseFailure (e: NetfilterError): StatusError {
  const where = `line ${e.line}${e.column !== undefined ? `, column ${e.column}` : ''}`
  const err = badRequest(`ruleset ${where}: ${e.reason}`)
  const s = err.status
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: s.message, reason: 'BadRequest', details: { kind: 'ruleset', causes: [{ reason: 'FieldValueInvalid', field: `ruleset:${e.line}${e.column !== undefined ? ':' + e.column : ''}`, message: `${where}: ${e.reason}` }] }, code: 400 } as never)
}

function toStatus (e: unknown): unknown {
  if (e instanceof NetfilterError) return parseFailure(e)
  if (e instanceof HostError) return badRequest(`host: ${e.message}`)
  if (e instanceof EvaluationError) return badRequest(e.code === 'E_BRANCH_LIMIT' ? e.message : `packet: ${e.message}`)
  return e
}

function branchJson (b: Branch): Record<string, unknown> {
  return { probability: b.probability, outcome: b.outcome, packetAfter: b.packetAfter, choices: b.choices, ct: b.ct, steps: b.steps }
}

export type TraceRequestBody = Static<typeof TraceRequest>
export type TraceFormat = 'json' | 'trace' | 'xtables-monitor'

/**
 * The whole trace request (parse, prepare, evaluate every packet with one shared state) as the
 * REST route runs it; exported so GraphQL can reuse it. Returns the JSON body or, for the text
 * formats, the rendered lines. Throws StatusError (400) for parse, host and packet errors.
 */
export function runNetfilterTrace (body: TraceRequestBody, format: TraceFormat = 'json'): { kind: 'NetfilterTrace', results: Array<Record<string, unknown>>, conntrack: string[], counters: unknown[] } | string {
  const packets: Packet[] = body.packets ?? (body.packet !== undefined ? [body.packet as Packet] : [])
  if (packets.length === 0) throw badRequest('give `packet` or `packets`')
  if (body.packets !== undefined && body.packet !== undefined) throw badRequest('give either `packet` or `packets`, not both')
  const o = body.options ?? {}
  try {
    // (a large ruleset is parsed lazily: a trace builds the rules of the chains it reads)
    const prepared = prepareRuleset(parseRuleset(body.ruleset))
    const host = createHost(body.host as HostSpec)
    const state = createEngineState({ seed: o.seed ?? 1, now: o.now ?? 0 })
    const opts: EvaluateOptions = { mode: o.mode ?? 'sample', detail: o.detail ?? 'matched', backend: o.backend ?? 'legacy', traceAll: o.traceAll ?? !prepared.hasTraceTarget, ...(o.maxBranches !== undefined ? { maxBranches: o.maxBranches } : {}) }
    const text: string[] = []
    const results: Array<Record<string, unknown>> = []
    const render = (steps: Step[]): string[] => format === 'xtables-monitor' ? renderXtablesMonitorTraceLines(steps) : renderLegacyTraceLines(steps)
    for (const [i, p] of packets.entries()) {
      const r = evaluatePacket(prepared, host, p, state, opts)
      // `all` mode leaves the state untouched: the sequence continues from the most likely branch
      if (opts.mode === 'all') Object.assign(state, r.branches.reduce((a, b) => b.probability > a.probability ? b : a).state)
      if (format !== 'json') {
        if (packets.length > 1) text.push(`# packet ${i + 1}: ${r.outcome.kind}`)
        if (opts.mode === 'all') {
          r.branches.forEach((b, k) => { text.push(`# branch ${k + 1} p=${b.probability}: ${b.outcome.kind}`); text.push(...render(b.steps)) })
        } else text.push(...render(r.steps))
        continue
      }
      const res: Record<string, unknown> = { packet: p, ...branchJson(r) }
      if (opts.mode === 'all') res.branches = r.branches.map(branchJson)
      results.push(res)
    }
    if (format !== 'json') return text.length === 0 ? '' : text.join('\n') + '\n'
    return { kind: 'NetfilterTrace', results, conntrack: conntrackEntries(state.conntrack).map(describeEntry), counters: readCounters(prepared, state) }
  } catch (e) {
    throw toStatus(e)
  }
}

const netfilter: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/netfilter/traces', {
    schema: {
      operationId: 'traceNetfilterPacket',
      tags: ['netfilter'],
      description: 'Evaluates a packet (or a short sequence sharing conntrack state) through an iptables ruleset on a described host, with kernel semantics: hooks and table order, conntrack and NAT, routing, jump/goto/return, counters. Returns the structured trace, or with `Accept: text/plain` / `?format=trace` the legacy kernel TRACE lines (`?format=xtables-monitor` for iptables-nft monitor lines).',
      querystring: TraceQuery,
      body: TraceRequest,
      response: { 200: TraceResponse, ...errors(400, 413, 415, 422) }
    }
  }, async (req, reply) => {
    const format = req.query.format ?? ((req.headers.accept ?? '').includes('text/plain') ? 'trace' : 'json')
    // without options.maxBranches the engine enumerates up to 1024 branches: never more than the
    // server's limit (KUBENETSIM_MAX_TRACE_BRANCHES) when that is lower
    const cap = app.limits?.maxTraceBranches ?? 0
    const body = req.body.options?.maxBranches === undefined && cap > 0 && cap < 1024 ? { ...req.body, options: { ...req.body.options, maxBranches: cap } } : req.body
    const out = runNetfilterTrace(body, format)
    if (typeof out === 'string') reply.type('text/plain; charset=utf-8')
    return out as never
  })

  app.post('/netfilter/canonical', {
    schema: {
      operationId: 'canonicalNetfilterRuleset',
      tags: ['netfilter'],
      description: 'Parses iptables-restore text and returns it as iptables-save v1.8.9 prints it (canonical option order, masks, quoting). `Accept: text/plain` returns the text alone.',
      body: CanonicalRequest,
      response: { 200: CanonicalResponse, ...errors(400, 413, 415, 422) }
    }
  }, async (req, reply) => {
    let text: string
    try {
      // (rendering reads every rule: a lazy parse would only build them later)
      text = renderRuleset(parseRuleset(req.body.ruleset, { lazy: false }), { legacy: req.body.format === 'legacy' })
    } catch (e) { throw toStatus(e) }
    if ((req.headers.accept ?? '').includes('text/plain')) {
      reply.type('text/plain; charset=utf-8')
      return text as never
    }
    return { kind: 'NetfilterCanonical' as const, text } as never
  })
}
export default netfilter
