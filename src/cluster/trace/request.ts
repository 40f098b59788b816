/**
 * Normalises a trace request against the cluster: resolves the source (external client + ingress
 * node, pod, or host process), picks the deterministic default source port, and turns impossible
 * requests into 422 field errors naming the field.
 */
import { fieldForbidden, fieldInvalid, fieldRequired, invalid, type FieldError } from '../errors.ts'
import { ipToU32 } from '../../netfilter/eval/ipv4.ts'
import { describeAddress, knownDestination, nodeForAddress, ownersOf, type ClusterNet } from './topology.ts'
import type { Source, TraceRequest, TraceRequestBody } from './types.ts'

const EPHEMERAL_MIN = 32768
const EPHEMERAL_MAX = 60999

function fnv (s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0 }
  return h >>> 0
}

/** Deterministic source port in Linux's default ip_local_port_range (32768–60999). */
export function defaultSourcePort (from: string, to: string, dport: number | undefined, protocol: string): number {
  return EPHEMERAL_MIN + fnv(`${protocol}|${from}|${to}|${dport ?? 0}`) % (EPHEMERAL_MAX - EPHEMERAL_MIN + 1)
}

function parseAddr (s: string): number | null {
  try { return ipToU32(s) } catch { return null }
}

function isLoopback (a: number): boolean { return (a >>> 24) === 127 }

function fail (errs: FieldError[]): never {
  throw invalid('Trace', '', errs)
}

export function normalizeRequest (net: ClusterNet, body: TraceRequestBody): TraceRequest {
  const errs: FieldError[] = []
  const protocol = body.protocol
  const proto = protocol.toLowerCase() as TraceRequest['proto']
  const dst = body.destination.address
  const dstN = parseAddr(dst)
  if (dstN === null) errs.push(fieldInvalid('destination.address', dst, 'must be a valid IPv4 address'))
  if (protocol === 'ICMP') {
    if (body.destination.port !== undefined) errs.push(fieldForbidden('destination.port', 'ICMP has no ports (an echo request is traced; source.port is used as the echo identifier)'))
  } else if (body.destination.port === undefined) {
    errs.push(fieldRequired('destination.port', `${protocol} needs a destination port`))
  }
  const src = body.source
  const given = (['address', 'pod', 'node'] as const).filter(k => src[k] !== undefined)
  if (given.length === 0) {
    errs.push(fieldRequired('source', 'one of source.address (an external client, optionally with source.node), source.pod (ns/name) or source.node (a host process on that node)'))
  }
  if (src.pod !== undefined && src.address !== undefined) errs.push(fieldForbidden('source.address', 'a pod source uses the pod IP; give either source.pod or source.address'))
  if (src.pod !== undefined && src.node !== undefined) errs.push(fieldForbidden('source.node', 'a pod source starts on the pod\'s own node; give either source.pod or source.node'))
  if (errs.length > 0) fail(errs)

  const dport = body.destination.port
  const dstLoopback = dstN !== null && isLoopback(dstN)
  if (dstN !== null && !knownDestination(net, dst)) {
    errs.push(fieldInvalid('destination.address', dst, 'is outside every network of the cluster (node addresses, pod CIDRs, the cluster and service CIDRs, external and load-balancer IPs)'))
  }
  if (src.node !== undefined && !net.nodes.has(src.node)) {
    errs.push({ type: 'FieldValueNotFound', field: 'source.node', value: src.node, detail: `no node named ${src.node} in the cluster` })
  }
  let source: Source | undefined
  if (src.pod !== undefined) {
    const key = src.pod.includes('/') ? src.pod : `default/${src.pod}`
    const p = net.pods.get(key)
    if (p === undefined) {
      errs.push({ type: 'FieldValueNotFound', field: 'source.pod', value: src.pod, detail: `no scheduled pod ${key} with an IPv4 address` })
    } else if (p.hostNetwork) {
      // a hostNetwork pod is a process in the node's network namespace
      source = { kind: 'node', node: p.node, port: src.port ?? defaultSourcePort(p.node, dst, dport, protocol), via: p.key }
    } else {
      if (dstLoopback) errs.push(fieldInvalid('destination.address', dst, `loopback from a pod stays inside pod ${p.key}'s own network namespace`))
      else if (dst === p.ip) errs.push(fieldInvalid('destination.address', dst, `is pod ${p.key}'s own address: that traffic never leaves the pod (to go through its service, use the service's address)`))
      source = { kind: 'pod', pod: p, address: p.ip, port: src.port ?? defaultSourcePort(p.ip, dst, dport, protocol) }
    }
  } else if (src.address !== undefined) {
    const a = parseAddr(src.address)
    if (a === null) errs.push(fieldInvalid('source.address', src.address, 'must be a valid IPv4 address'))
    else if (isLoopback(a) || (a >>> 24) === 0 || a === 0xffffffff || (a >>> 28) === 0xe) {
      errs.push(fieldInvalid('source.address', src.address, 'an external client needs a unicast address (loopback, 0.0.0.0/8, broadcast and multicast cannot arrive on eth0)'))
    } else {
      const own = ownersOf(net, src.address).filter(o => o.kind === 'node' || o.kind === 'gateway' || o.kind === 'pod')
      if (own.length > 0) errs.push(fieldInvalid('source.address', src.address, `belongs to ${describeAddress(net, src.address)}: use source.${own[0].kind === 'pod' ? 'pod' : 'node'} instead`))
    }
    if (dstLoopback) errs.push(fieldInvalid('destination.address', dst, 'an external client cannot reach a node\'s loopback address'))
    let node = src.node
    let chosen: 'given' | 'owner' = 'given'
    if (node === undefined && dstN !== null && !dstLoopback && knownDestination(net, dst)) {
      node = nodeForAddress(net, dst)
      chosen = 'owner'
      if (node === undefined) errs.push(fieldRequired('source.node', `${dst} (${describeAddress(net, dst)}) is not owned by a node: say which node the client's packet enters`))
    }
    if (node !== undefined && net.nodes.has(node)) {
      source = { kind: 'external', address: src.address, port: src.port ?? defaultSourcePort(src.address, dst, dport, protocol), node, nodeChosen: chosen }
    }
  } else if (src.node !== undefined && net.nodes.has(src.node)) {
    source = { kind: 'node', node: src.node, port: src.port ?? defaultSourcePort(src.node, dst, dport, protocol) }
  }
  if (errs.length > 0 || source === undefined) fail(errs.length > 0 ? errs : [fieldInvalid('source', src, 'cannot be resolved')])
  const mode = body.mode ?? 'all'
  return {
    protocol,
    proto,
    destination: { address: dst, ...(dport !== undefined ? { port: dport } : {}) },
    source,
    mode,
    seed: body.seed ?? 1,
    reply: body.reply ?? true,
    detail: body.detail ?? 'matched',
    advanceSeconds: body.advanceSeconds ?? 0
  }
}
