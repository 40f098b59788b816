// Shared fixtures for the evaluator unit tests (public API only).
import { parseRuleset, prepareRuleset, createEngineState, createHost, evaluatePacket } from '../../src/netfilter/index.ts'
import type { EngineState, EvaluateOptions, EvaluateResult, HostSpec, Packet, Prepared, RuleStep } from '../../src/netfilter/index.ts'

/** A node: eth0 192.168.1.1/24 (default via .254), cni0 10.244.0.1/24, forwarding on. */
export const NODE: HostSpec = {
  name: 'node',
  interfaces: [
    { name: 'eth0', addresses: ['192.168.1.1/24'] },
    { name: 'cni0', addresses: ['10.244.0.1/24'] },
    { name: 'docker0', addresses: ['172.17.0.1/16'], up: true }
  ],
  routes: [{ dst: 'default', via: '192.168.1.254' }, { dst: '10.99.0.0/16', type: 'unreachable' }],
  ipForward: true
}

export const node = createHost(NODE)

export function prep (text: string): Prepared {
  return prepareRuleset(parseRuleset(text))
}

/** A filter table whose INPUT policy is DROP and whose only rule is `<spec> -j ACCEPT`. */
export function acceptIf (spec: string, extra = ''): string {
  return `*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT ${spec} -j ACCEPT\n${extra}COMMIT\n`
}

/** Inbound TCP SYN from 192.168.1.5:40000 to the node's 192.168.1.1:80 on eth0 (overridable). */
export function tcpIn (over: Partial<Packet> = {}): Packet {
  return { inIface: 'eth0', src: '192.168.1.5', dst: '192.168.1.1', proto: 'tcp', sport: 40000, dport: 80, tcpFlags: ['SYN'], ...over }
}

export function run (p: Prepared, pkt: Packet, state: EngineState = createEngineState(), opts: EvaluateOptions = {}, host: HostSpec = NODE): EvaluateResult {
  return evaluatePacket(p, host === NODE ? node : createHost(host), pkt, state, opts)
}

export function ruleSteps (r: { steps: Array<{ type: string }> }): RuleStep[] {
  return r.steps.filter((s): s is RuleStep => s.type === 'rule')
}

/** `table:chain:kind:n` of the matched rule steps. */
export function path (r: { steps: Array<{ type: string }> }): string[] {
  return ruleSteps(r).filter(s => s.matched === true).map(s => `${s.table}:${s.chain}:${s.kind}:${s.n}`)
}
