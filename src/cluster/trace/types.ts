/** Domain types of a cluster trace: the normalised request, the walk's paths, hops and outcomes. */
import type { EngineState, Outcome, PacketSnapshot, RandomChoice, RuleRef, Step, HookName } from '../../netfilter/index.ts'
import type { PodRef } from './topology.ts'

export type TraceProtocol = 'TCP' | 'UDP' | 'SCTP' | 'ICMP'

/** The request body as the API accepts it (validated by the route schema first). */
export interface TraceRequestBody {
  protocol: TraceProtocol
  destination: { address: string, port?: number }
  source: { address?: string, port?: number, node?: string, pod?: string }
  mode?: 'all' | 'sample'
  seed?: number
  reply?: boolean
  detail?: 'full' | 'matched'
  advanceSeconds?: number
  /** set by the server, never by the client (the route schema refuses it): most paths of an `all` trace (default MAX_PATHS) */
  maxPaths?: number
}

export type Source =
  | { kind: 'external', address: string, port: number, node: string, nodeChosen: 'given' | 'owner' }
  | { kind: 'pod', pod: PodRef, address: string, port: number }
  | { kind: 'node', node: string, port: number, via?: string }

export interface TraceRequest {
  protocol: TraceProtocol
  proto: 'tcp' | 'udp' | 'sctp' | 'icmp'
  destination: { address: string, port?: number }
  source: Source
  mode: 'all' | 'sample'
  seed: number
  reply: boolean
  detail: 'full' | 'matched'
  advanceSeconds: number
}

/** One node crossed by the packet. */
export interface Hop {
  node: string
  /** where netfilter first saw the packet on this node */
  entry: 'PREROUTING' | 'OUTPUT'
  inIface: string
  packetIn: PacketSnapshot
  packetOut: PacketSnapshot
  hooks: HookName[]
  steps: Step[]
  outcome: Outcome
  /** probability of the random draws made on this node */
  probability: number
  choices: RandomChoice[]
}

export type Final =
  | { kind: 'DELIVERED', node: string, pod: PodRef, address: string, port?: number, seenSource: string, seenPort?: number }
  | { kind: 'LOCAL', node: string, address: string, port?: number, seenSource: string, seenPort?: number }
  | { kind: 'REJECTED', node: string, with: string, at: RuleRef }
  | { kind: 'DROPPED', node: string, at?: RuleRef, engineReason: string }
  | { kind: 'NO_ROUTE', node: string, engineReason: string }
  | { kind: 'EXTERNAL', node: string, nextHop: string, packet: PacketSnapshot }
  | { kind: 'UNKNOWN', node: string, at?: RuleRef, engineReason: string }

export interface Path {
  probability: number
  hops: Hop[]
  final: Final
  /** engine state per node after the forward packet (conntrack for the reply) */
  states: Map<string, EngineState>
  reason?: string
  reply?: ReplyResult
}

export interface ReplyResult {
  hops: Hop[]
  final: Final | { kind: 'SELF', node: string }
  /** did the reply reach the client that sent the request? */
  reachedClient: boolean
  /** source the client sees the reply from (address, port) */
  from?: { address: string, port?: number }
  /** does that source equal what the client connected to (else the client drops it) */
  matchesRequest: boolean
  summary: string
}
