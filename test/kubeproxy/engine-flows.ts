/**
 * Runs a kube-proxy flow (kube-proxy-flow-cases.json) through the netfilter engine on a host shaped
 * like kube-proxy's fake test node, enumerating every random branch (`all` mode), and summarises the
 * outcome in the tracer's vocabulary: reachable endpoints, REJECT / DROP / ACCEPT, masquerade.
 */
import {
  createEngineState, evaluatePacket, parseRuleset, prepareRuleset,
  type Branch, type HostSpec, type Prepared, type RuleStep, type Ruleset
} from '../../src/netfilter/index.ts'
import type { Flow } from './fixtures.ts'

/** eth0 carries the node IPs, cni0 the pod network 10.0.0.0/8 (pods and endpoints 10.180.x.x live there). */
export const TEST_HOST: HostSpec = {
  name: 'test-node',
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8'], loopback: true },
    { name: 'eth0', addresses: ['192.168.0.2/24', '192.168.1.2/24', '192.168.99.11/24'] },
    { name: 'cni0', addresses: ['10.0.0.1/8'] }
  ],
  routes: [{ dst: 'default', via: '192.168.0.1', dev: 'eth0' }],
  ipForward: true,
  routeLocalnet: true
}

const LOCAL_SOURCES = new Set(['127.0.0.1', '192.168.0.2', '192.168.1.2', '192.168.99.11'])

export interface EngineFlowResult {
  /** distinct endpoints (`ip:port`) the packet is DNATed to over all branches */
  endpoints: string[]
  /** terminal verdicts that were not a delivery: REJECT / DROP, and ACCEPT by a kube-proxy filter rule */
  verdicts: string[]
  /** some branch was masqueraded (source rewritten by MASQUERADE in POSTROUTING) */
  masq: boolean
  /** some branch jumped to KUBE-MARK-MASQ */
  markMasq: boolean
  branches: Branch[]
}

export function prepareEngine (text: string, lenient = false): { ruleset: Ruleset, prepared: Prepared } {
  const ruleset = parseRuleset(text, { lenient })
  return { ruleset, prepared: prepareRuleset(ruleset) }
}

function ruleSteps (b: Branch): RuleStep[] {
  return b.steps.filter((s): s is RuleStep => s.type === 'rule')
}

export function runEngineFlow (prepared: Prepared, f: Flow): EngineFlowResult {
  const local = LOCAL_SOURCES.has(f.sourceIP)
  const pod = f.sourceIP.startsWith('10.')
  const packet = {
    src: f.sourceIP,
    dst: f.destIP,
    proto: f.protocol.toLowerCase() as 'tcp' | 'udp' | 'sctp',
    sport: 40000,
    dport: f.destPort,
    ...(local ? {} : { inIface: pod ? 'cni0' : 'eth0' })
  }
  const res = evaluatePacket(prepared, TEST_HOST, packet, createEngineState(), { mode: 'all', origin: local ? 'local' : 'ingress' })
  const endpoints = new Set<string>()
  const verdicts = new Set<string>()
  let masq = false
  let markMasq = false
  for (const b of res.branches) {
    const steps = ruleSteps(b)
    const dnat = steps.find(s => s.matched === true && s.table === 'nat' && s.ruleText?.includes('-j DNAT') === true)
    if (dnat != null) {
      const m = / --to-destination (\S+)/.exec(dnat.ruleText!)
      endpoints.add(m![1])
    }
    if (steps.some(s => s.matched === true && s.jumpTo === 'KUBE-MARK-MASQ')) markMasq = true
    if (steps.some(s => s.matched === true && s.chain === 'KUBE-POSTROUTING' && s.ruleText?.includes('-j MASQUERADE') === true)) masq = true
    const o = b.outcome
    if (o.kind === 'REJECTED') verdicts.add('REJECT')
    else if (o.kind === 'DROPPED') verdicts.add('DROP')
    else if (o.kind === 'UNKNOWN') verdicts.add(`UNKNOWN(${o.reason})`)
    else if (o.kind === 'NO_ROUTE') verdicts.add(`NO_ROUTE(${o.reason})`)
    if (steps.some(s => s.matched === true && s.table === 'filter' && s.chain.startsWith('KUBE-') && s.verdict === 'ACCEPT' && s.ruleText?.includes('health check node port') === true)) verdicts.add('ACCEPT')
  }
  return { endpoints: [...endpoints].sort(), verdicts: [...verdicts].sort(), masq, markMasq, branches: res.branches }
}

/** The tracer's output string split into endpoints and verdicts. */
export function expectedOf (f: Flow): { endpoints: string[], verdicts: string[] } {
  const parts = f.output === '' ? [] : f.output.split(', ')
  return {
    endpoints: parts.filter(p => /[0-9]:[0-9]+$/.test(p)).sort(),
    verdicts: parts.filter(p => p === 'REJECT' || p === 'DROP' || p === 'ACCEPT').sort()
  }
}

/**
 * kube-proxy's FakeIPTables stores jump rules with multi-word comments unquoted
 * (`--comment kubernetes service portals -j X`); real iptables-restore refuses that, so quote them.
 */
export function quoteFakeComments (text: string): string {
  return text.split('\n').map(l => l.replace(/--comment ((?:[^"\s-][^\s]*)(?: [^\s-][^\s]*)+)(?= -)/, '--comment "$1"')).join('\n')
}
