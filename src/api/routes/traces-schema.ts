/** TypeBox schemas of the cluster trace endpoints (request validated, response documented). */
import { Type, type TSchema } from 'typebox'

const opt = <T extends TSchema>(s: T) => Type.Optional(s)
const IPv4 = (description: string) => Type.String({ pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$', description })
const OneOf = (values: string[], description?: string) => Type.String({ enum: values, ...(description !== undefined ? { description } : {}) })
const Port = (description: string) => Type.Integer({ minimum: 1, maximum: 65535, description })

export const TraceRequestSchema = Type.Object({
  protocol: OneOf(['TCP', 'UDP', 'SCTP', 'ICMP'], 'ICMP traces an echo request'),
  destination: Type.Object({
    address: IPv4('destination address: a node IP, pod IP, cluster IP, external or load-balancer IP, or 127.0.0.1 from a node'),
    port: opt(Port('destination port (required for TCP, UDP and SCTP; not allowed for ICMP)'))
  }, { additionalProperties: false }),
  source: Type.Object({
    address: opt(IPv4('an external client address; the packet enters `node` on eth0 (default: the node owning the destination address)')),
    port: opt(Port('source port (ICMP: the echo identifier); default: a deterministic port in 32768-60999')),
    node: opt(Type.String({ description: 'with `address`: the node the client\'s packet enters; alone: a host process on this node (starts in OUTPUT)' })),
    pod: opt(Type.String({ description: 'a pod as `namespace/name` (or `name` in default): its packet enters its node\'s PREROUTING from cni0' }))
  }, { additionalProperties: false, description: 'exactly one of: address (+ node), pod, node' }),
  mode: opt(OneOf(['all', 'sample'], '`all` (default): every possible path with its exact probability; `sample`: one path chosen with the seeded PRNG (records session affinity)')),
  seed: opt(Type.Integer({ minimum: 0, maximum: 4294967295, description: 'PRNG seed for `sample` (default 1)' })),
  reply: opt(Type.Boolean({ description: 'also trace the reply back through the same conntrack tables (default true)' })),
  detail: opt(OneOf(['matched', 'full'], '`matched` (default): rules that matched; `full`: every rule evaluated, with why it missed')),
  advanceSeconds: opt(Type.Number({ minimum: 0, maximum: 315360000, description: 'advance the cluster\'s simulated clock (session-affinity timeouts) before the trace' }))
}, { additionalProperties: false })

export const TraceQuery = Type.Object({
  format: opt(OneOf(['json', 'trace'], '`trace` = kernel-style text (also with Accept: text/plain)'))
}, { additionalProperties: false })

const Packet = Type.Object({
  in: Type.String(),
  out: Type.String(),
  src: Type.String(),
  dst: Type.String(),
  protocol: Type.String(),
  sport: opt(Type.Integer()),
  dport: opt(Type.Integer()),
  tcpFlags: opt(Type.Array(Type.String())),
  icmpType: opt(Type.Integer()),
  mark: Type.String(),
  ttl: Type.Integer()
})

const Provenance = Type.Object({
  origin: opt(Type.String({ description: 'kube-proxy, kube-proxy-static or kubelet' })),
  service: opt(Type.String()),
  servicePort: opt(Type.String()),
  endpoint: opt(Type.String()),
  field: opt(Type.String({ description: 'the spec field that produced the rule' })),
  note: opt(Type.String())
}, { additionalProperties: true })

const Step = Type.Object({
  type: Type.Union([Type.Literal('rule'), Type.Literal('event')]),
  event: opt(Type.String({ description: 'conntrack, nat, route, reroute, loopback, confirm, log, ttl, drop' })),
  message: opt(Type.String()),
  hook: opt(Type.String()),
  table: opt(Type.String()),
  chain: opt(Type.String()),
  kind: opt(Type.Union([Type.Literal('rule'), Type.Literal('return'), Type.Literal('policy')])),
  n: opt(Type.Integer({ description: 'rule number as the kernel counts it (return/policy: rules + 1)' })),
  rule: opt(Type.String({ description: 'canonical iptables-save text' })),
  matched: opt(Type.Union([Type.Boolean(), Type.Literal('unknown')])),
  why: opt(Type.String({ description: 'for a miss: which match failed and why' })),
  verdict: opt(Type.String()),
  jumpTo: opt(Type.String()),
  note: opt(Type.String()),
  explanation: opt(Type.String({ description: 'one line for a learner (omitted when provenance.note already says it)' })),
  provenance: opt(Provenance),
  before: opt(Packet),
  after: opt(Packet)
})

const Hop = Type.Object({
  node: Type.String(),
  entry: Type.Union([Type.Literal('PREROUTING'), Type.Literal('OUTPUT')]),
  inIface: Type.String(),
  hooks: Type.Array(Type.String()),
  packetIn: Packet,
  packetOut: Packet,
  verdict: Type.Object({ kind: Type.String(), outIface: opt(Type.String()), nextHop: opt(Type.String()), reason: opt(Type.String()) }),
  probability: Type.Number(),
  steps: Type.Array(Step)
})

const OutcomeKind = Type.Union(['DELIVERED', 'REJECTED', 'DROPPED', 'NO_ROUTE', 'LOCAL', 'EXTERNAL', 'UNKNOWN'].map(k => Type.Literal(k)))

const RuleRef = Type.Object({ table: Type.String(), chain: Type.String(), n: Type.Integer(), text: Type.String(), provenance: opt(Provenance) })

const outcomeFields = {
  outcome: OutcomeKind,
  probability: Type.Number({ description: 'exact (kernel-quantised) probability; outcomes sum to 1' }),
  node: Type.String({ description: 'node where the packet ended' }),
  pod: opt(Type.String()),
  address: opt(Type.String({ description: 'where it landed, ip:port' })),
  seenSource: opt(Type.String({ description: 'the source address:port the pod (or host process) sees' })),
  masqueraded: opt(Type.Boolean()),
  reject: opt(Type.Object({ with: Type.String(), description: Type.String() })),
  rule: opt(RuleRef),
  reason: Type.String({ description: 'one-line explanation' }),
  reply: opt(Type.Object({ reachedClient: Type.Boolean(), from: opt(Type.String({ description: 'address:port the client sees the reply from' })), matchesRequest: Type.Boolean(), summary: Type.String() }))
}

export const TraceResponseSchema = Type.Object({
  kind: Type.Literal('Trace'),
  apiVersion: Type.Literal('kubenetsim.io/v1'),
  metadata: Type.Object({ cluster: Type.String(), generation: Type.Integer(), profile: Type.String() }),
  request: Type.Object({
    protocol: Type.String(),
    source: Type.Object({ kind: Type.String(), address: opt(Type.String()), port: Type.Integer(), node: Type.String(), pod: opt(Type.String()), nodeChosen: opt(Type.String()) }),
    destination: Type.Object({ address: Type.String(), port: opt(Type.Integer()), is: Type.String() }),
    mode: Type.String(),
    seed: opt(Type.Integer()),
    detail: Type.String(),
    reply: Type.Boolean(),
    clock: Type.Object({ now: Type.Number(), advancedSeconds: Type.Number() })
  }),
  summary: Type.String(),
  outcomes: Type.Array(Type.Object({ ...outcomeFields, paths: Type.Array(Type.Integer(), { description: 'indexes into paths' }) })),
  paths: Type.Array(Type.Object({
    probability: Type.Number(),
    outcome: Type.Object(outcomeFields),
    choices: Type.Array(Type.Object({ node: Type.String(), table: Type.String(), chain: Type.String(), n: Type.Integer(), pMatch: Type.Number(), matched: Type.Boolean() }), { description: 'statistic --mode random draws on this path' }),
    hops: Type.Array(Hop),
    reply: opt(Type.Object({ summary: Type.String(), reachedClient: Type.Boolean(), from: opt(Type.String()), matchesRequest: Type.Boolean(), final: Type.String(), hops: Type.Array(Hop) }))
  }))
}, { description: 'the packet\'s journey: outcomes with probabilities, per-node hops with every rule step, and the reply' })

export const AffinityStateSchema = Type.Object({
  kind: Type.Literal('TraceAffinity'),
  apiVersion: Type.Literal('kubenetsim.io/v1'),
  cluster: Type.String(),
  clock: Type.Object({ now: Type.Number({ description: 'simulated seconds' }) }),
  entries: Type.Array(Type.Object({ node: Type.String(), list: Type.String({ description: 'recent list (KUBE-SEP chain)' }), client: Type.String(), lastSeen: Type.Number() })),
  removed: opt(Type.Integer({ description: 'entries removed by the reset' }))
})
