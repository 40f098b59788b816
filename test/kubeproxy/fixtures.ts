/**
 * Builds the Services / EndpointSlices / cluster settings / node a `kube-proxy-flow-cases.json` entry
 * describes (kube-proxy's proxier_test.go conventions), as inputs of generateNodeRules.
 */
import { readFileSync } from 'node:fs'
import type { ClusterSettings, EndpointSlice, Node, Service } from '../../src/cluster/model.ts'
import type { GenerateInput, GeneratorOptions } from '../../src/cluster/kubeproxy/index.ts'
import { sharedPath } from '../shared-dir.ts'

export const CONFORMANCE_DIR = sharedPath('conformance/kube-proxy') + '/'

export interface CaseService {
  namespace: string
  name: string
  type: string
  clusterIP: string
  externalIPs: string[]
  loadBalancerIngress: Array<{ ip: string, ipMode?: string | null }>
  loadBalancerSourceRanges: string[]
  externalTrafficPolicy: string
  internalTrafficPolicy: string | null
  healthCheckNodePort: number
  sessionAffinity: string
  sessionAffinityTimeoutSeconds: number | null
  ports: Array<{ name: string, port: number, protocol: 'TCP' | 'UDP' | 'SCTP', nodePort: number, targetPort?: number }>
}

export interface CaseSlice {
  namespace: string
  serviceName: string
  name: string
  addressType: 'IPv4' | 'IPv6'
  endpoints: Array<{ addresses: string[], nodeName: string | null, conditions: { ready: boolean | null, serving: boolean | null, terminating: boolean | null } }>
  ports: Array<{ name: string, port: number, protocol: 'TCP' | 'UDP' | 'SCTP' }>
}

export interface Flow {
  name: string
  sourceIP: string
  protocol: string
  destIP: string
  destPort: number
  output: string
  masq: boolean
}

export interface ProxierOverrides {
  ipFamily?: 'IPv4' | 'IPv6'
  localhostNodePorts?: boolean
  nodePortAddresses?: string[] | null
  masqueradeAll?: boolean
  localDetector?: string | { type: string }
}

export interface FlowCase {
  name: string
  subtest?: string
  kind: 'static-rules' | 'full-ruleset' | 'flows' | 'chain-assertions'
  rulesFile?: string
  expectedRulesFile?: string
  proxierConfig?: ProxierOverrides
  services?: CaseService[]
  endpointSlices?: CaseSlice[]
  tracerNodeIPs?: string[]
  flows?: Flow[]
  thenSteps?: Array<{ action: 'deleteService' | 'deleteEndpointSlice', service?: string, endpointSlice?: string, flows: Flow[] }>
  chainAssertions?: Array<{ table: string, chain: string, expected: string }>
  cases?: any[]
  notes?: string
}

export interface FlowCases {
  conventions: Record<string, unknown>
  defaultProxierConfig: Record<string, any>
  tracer: Record<string, string>
  probabilityTable: Record<string, string>
  tests: FlowCase[]
}

export function loadCases (): FlowCases {
  return JSON.parse(readFileSync(CONFORMANCE_DIR + 'kube-proxy-flow-cases.json', 'utf8')) as FlowCases
}

export function readConformance (file: string): string {
  return readFileSync(CONFORMANCE_DIR + file, 'utf8')
}

export const TEST_NODE_IPS = ['192.168.0.2', '192.168.1.2', '192.168.99.11', '2001:db8::1', '2001:db8:1::2']

export function toService (s: CaseService): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace },
    spec: {
      type: (s.type === '' ? 'ClusterIP' : s.type) as Service['spec']['type'],
      clusterIP: s.clusterIP,
      ports: s.ports.map(p => ({ name: p.name, protocol: p.protocol, port: p.port, targetPort: p.targetPort ?? p.port, nodePort: p.nodePort })),
      externalIPs: s.externalIPs,
      loadBalancerSourceRanges: s.loadBalancerSourceRanges,
      externalTrafficPolicy: s.externalTrafficPolicy === '' ? undefined : s.externalTrafficPolicy as 'Local' | 'Cluster',
      internalTrafficPolicy: s.internalTrafficPolicy == null ? undefined : s.internalTrafficPolicy as 'Local' | 'Cluster',
      healthCheckNodePort: s.healthCheckNodePort,
      sessionAffinity: s.sessionAffinity === 'ClientIP' ? 'ClientIP' : 'None',
      ...(s.sessionAffinity === 'ClientIP' ? { sessionAffinityConfig: { clientIP: { timeoutSeconds: s.sessionAffinityTimeoutSeconds ?? 10800 } } } : {})
    },
    status: { loadBalancer: { ingress: s.loadBalancerIngress.map(i => ({ ip: i.ip, ...(i.ipMode != null ? { ipMode: i.ipMode as 'VIP' | 'Proxy' } : {}) })) } }
  }
}

export function toSlice (s: CaseSlice): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: s.name, namespace: s.namespace, labels: { 'kubernetes.io/service-name': s.serviceName } },
    addressType: s.addressType,
    endpoints: s.endpoints.map(e => ({
      addresses: e.addresses,
      ...(e.nodeName != null ? { nodeName: e.nodeName } : {}),
      conditions: {
        ...(e.conditions.ready != null ? { ready: e.conditions.ready } : {}),
        ...(e.conditions.serving != null ? { serving: e.conditions.serving } : {}),
        ...(e.conditions.terminating != null ? { terminating: e.conditions.terminating } : {})
      }
    })),
    ports: s.ports.map(p => ({ name: p.name, port: p.port, protocol: p.protocol }))
  }
}

export const TEST_NODE: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'test-node' },
  spec: {},
  status: { addresses: TEST_NODE_IPS.map(address => ({ type: 'InternalIP' as const, address })) }
}

export interface ExtraConfig {
  hasRandomFully?: boolean
  conntrackTCPLiberal?: boolean
  nfAcctCounters?: Record<string, boolean>
  ipModeEnabled?: boolean
}

/** generateNodeRules input for a case, with kube-proxy's NewFakeProxier defaults. */
export function caseInput (services: CaseService[], slices: CaseSlice[], overrides: ProxierOverrides = {}, extra: ExtraConfig = {}): GenerateInput {
  const v6 = overrides.ipFamily === 'IPv6'
  const det = overrides.localDetector
  const detNone = det === 'none' || (typeof det === 'object' && det?.type === 'none')
  const settings: ClusterSettings = {
    name: 'test',
    serviceCIDR: v6 ? 'fd00:172:30::/112' : '172.30.0.0/16',
    clusterCIDR: v6 ? 'fd00:10::/64' : '10.0.0.0/8',
    nodePortRange: { min: 30000, max: 32767 },
    kubeProxy: {
      profile: 'current',
      masqueradeAll: overrides.masqueradeAll ?? false,
      nodePortAddresses: overrides.nodePortAddresses ?? [],
      localhostNodePorts: overrides.localhostNodePorts ?? true,
      masqueradeBit: 14
    }
  }
  const nf = extra.nfAcctCounters ?? { ct_state_invalid_dropped_pkts: true, localhost_nps_accepted_pkts: true }
  const options: GeneratorOptions = {
    family: v6 ? 'IPv6' : 'IPv4',
    markStyle: 'unit-test',
    randomFully: extra.hasRandomFully ?? false,
    conntrackTCPLiberal: extra.conntrackTCPLiberal ?? false,
    nfacct: { invalid: nf.ct_state_invalid_dropped_pkts === true, localhost: nf.localhost_nps_accepted_pkts === true },
    lbIPModeEnabled: extra.ipModeEnabled ?? true,
    localDetector: detNone ? 'none' : 'ClusterCIDR'
  }
  return { settings, node: TEST_NODE, nodes: [TEST_NODE], services: services.map(toService), endpointSlices: slices.map(toSlice), options }
}
