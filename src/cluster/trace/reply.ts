/**
 * The reply: generated where the request landed (the pod answers from the address:port it received
 * on, to the source it saw; a host process the same through OUTPUT) and walked back through the same
 * per-node conntrack tables, so the kernel reverse-NATs it. Reports what the client sees the reply
 * from and whether that matches what it connected to.
 */
import type { Packet } from '../../netfilter/index.ts'
import { walkFrom, type WalkEnv } from './walk.ts'
import type { Path, ReplyResult, TraceRequest } from './types.ts'

const hp = (a: string, p?: number): string => p === undefined ? a : `${a}:${p}`

/** The address the client used as its own source (host processes: chosen by routing). */
export function clientAddress (req: TraceRequest, path: Path): string {
  const s = req.source
  if (s.kind === 'external' || s.kind === 'pod') return s.address
  return path.hops[0]?.packetIn.src ?? ''
}

export function replyWalk (env: WalkEnv, req: TraceRequest, path: Path): ReplyResult | undefined {
  const f = path.final
  if (f.kind !== 'DELIVERED' && f.kind !== 'LOCAL') return undefined
  const pk: Packet = { src: f.address, dst: f.seenSource, proto: req.proto, ttl: 64 }
  if (req.proto === 'icmp') {
    const first = path.hops[0]?.packetIn
    pk.icmpType = 0; pk.icmpCode = 0; pk.icmpId = first?.icmpId ?? req.source.port; pk.length = 84
  } else { pk.sport = f.port; pk.dport = f.seenPort }
  if (req.proto === 'tcp') pk.tcpFlags = ['SYN', 'ACK']
  const client = clientAddress(req, path)
  const expected = hp(req.destination.address, req.destination.port)
  if (f.kind === 'DELIVERED' && f.seenSource === f.pod.ip) {
    return {
      hops: [],
      final: { kind: 'SELF', node: f.node },
      reachedClient: false,
      matchesRequest: false,
      summary: `pod ${f.pod.key} saw its own address as the source, so it answers itself inside its network namespace: the reply never reaches the node's conntrack and the connection breaks (this is why kube-proxy masquerades hairpin traffic)`
    }
  }
  const out: Path[] = []
  // (the packet is completed in place, not spread into a copy: see buildResponse in result.ts)
  if (f.kind === 'DELIVERED') {
    pk.inIface = 'cni0'
    walkFrom(env, 'sample', f.node, pk, 'ingress', { probability: 1, hops: [], states: path.states }, out)
  } else {
    pk.uid = 0
    pk.gid = 0
    walkFrom(env, 'sample', f.node, pk, 'local', { probability: 1, hops: [], states: path.states }, out)
  }
  const r = out[0]
  const last = r.hops[r.hops.length - 1]?.packetOut
  const from = last !== undefined ? { address: last.src, ...(last.sport !== undefined ? { port: last.sport } : {}) } : undefined
  const s = req.source
  let reached = false
  const fin = r.final
  if (s.kind === 'external') reached = fin.kind === 'EXTERNAL' && fin.packet.dst === s.address
  else if (s.kind === 'pod') reached = fin.kind === 'DELIVERED' && fin.pod.key === s.pod.key
  else reached = fin.kind === 'LOCAL' && fin.node === s.node
  const fromText = from !== undefined ? hp(from.address, from.port) : '?'
  const matches = reached && from !== undefined && from.address === req.destination.address && (req.destination.port === undefined || from.port === req.destination.port)
  let summary: string
  if (!reached) {
    summary = fin.kind === 'DELIVERED' || fin.kind === 'LOCAL' || fin.kind === 'EXTERNAL'
      ? `the reply does not get back to the client ${client}: it ends ${fin.kind === 'EXTERNAL' ? `leaving ${fin.node} towards ${fin.nextHop}` : fin.kind === 'LOCAL' ? `at a host process on ${fin.node}` : `at pod ${fin.pod.key}`}`
      : `the reply is lost on ${fin.node} (${fin.kind})`
  } else if (matches) {
    summary = `the client ${client} gets the reply from ${fromText}, the address it connected to: the connection works`
  } else {
    summary = `the client ${client} gets the reply from ${fromText} but connected to ${expected}: it does not recognise the reply and the connection fails`
  }
  return { hops: r.hops, final: fin, reachedClient: reached, ...(from !== undefined ? { from } : {}), matchesRequest: matches, summary }
}
