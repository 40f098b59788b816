/**
 * Service → per-service-port internal model, as kube-proxy's ServiceChangeTracker builds it (§4.1).
 */
import type { Protocol, Service } from '../model.ts'
import { parseCIDR, parseIP, type IPFamily } from './ip.ts'
import type { KubeProxyProfile } from '../model.ts'

export interface ServicePortInfo {
  /** `ns/name` */
  service: string
  namespace: string
  name: string
  /** index into spec.ports */
  portIndex: number
  portName: string
  /** kube-proxy's ServicePortName string (`ns/name:port`, or `ns/name` / `ns/name:` for unnamed ports by era) */
  portString: string
  protocol: Protocol
  /** lowercase protocol as used in rules */
  proto: string
  port: number
  nodePort: number
  targetPort: number | string
  clusterIP: string
  externalIPs: string[]
  /** spec.externalIPs index of each entry of externalIPs */
  externalIPIdx: number[]
  lbIPs: string[]
  /** status.loadBalancer.ingress index of each entry of lbIPs */
  lbIPIdx: number[]
  lbSourceRanges: string[]
  externalPolicyLocal: boolean
  internalPolicyLocal: boolean
  healthCheckNodePort: number
  /** 0 = no affinity */
  affinityTimeout: number
  type: Service['spec']['type']
}

export interface ServiceInfoOptions {
  profile: KubeProxyProfile
  family: IPFamily
  /** feature LoadBalancerIPMode: skip `ipMode: Proxy` ingress IPs (current profile default true) */
  lbIPModeEnabled: boolean
}

/** `ns/name:port` as kube-proxy prints ServicePortName in the given era (§1). */
export function servicePortString (namespace: string, name: string, portName: string, profile: KubeProxyProfile): string {
  if (profile === 'legacy') return `${namespace}/${name}:${portName}`
  return portName === '' ? `${namespace}/${name}` : `${namespace}/${name}:${portName}`
}

/** Why a Service produces no rules, or null if it does. */
export function skipReason (svc: Service, family: IPFamily): string | null {
  if (svc.spec.type === 'ExternalName') return 'type ExternalName'
  const cip = svc.spec.clusterIP ?? ''
  if (cip === '' || cip === 'None') return 'headless (no clusterIP)'
  const parsed = parseIP(cip)
  if (parsed == null) return 'invalid clusterIP'
  if (parsed.family !== family) return `clusterIP is ${parsed.family}, proxier is ${family}`
  return null
}

export function servicePorts (svc: Service, opts: ServiceInfoOptions): ServicePortInfo[] {
  if (skipReason(svc, opts.family) != null) return []
  const ns = svc.metadata.namespace ?? 'default'
  const name = svc.metadata.name
  const spec = svc.spec
  const clusterIP = parseIP(spec.clusterIP!)!.canonical
  const externalIPs: string[] = []
  const externalIPIdx: number[] = []
  ;(spec.externalIPs ?? []).forEach((e, i) => {
    const p = parseIP(e)
    if (p != null && p.family === opts.family) { externalIPs.push(p.canonical); externalIPIdx.push(i) }
  })
  const lbSourceRanges: string[] = []
  for (const r of spec.loadBalancerSourceRanges ?? []) {
    const c = parseCIDR(r)
    if (c != null && c.family === opts.family) lbSourceRanges.push(c.canonical)
  }
  const lbIPs: string[] = []
  const lbIPIdx: number[] = []
  ;(svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    if (ing.ip == null || ing.ip === '') return
    if (opts.lbIPModeEnabled && ing.ipMode === 'Proxy') return
    const p = parseIP(ing.ip)
    if (p != null && p.family === opts.family) { lbIPs.push(p.canonical); lbIPIdx.push(i) }
  })
  const etpLocal = spec.externalTrafficPolicy === 'Local'
  const externalPolicyLocal = etpLocal && (spec.type === 'LoadBalancer' || spec.type === 'NodePort' ||
    (spec.type === 'ClusterIP' && (spec.externalIPs?.length ?? 0) > 0))
  const internalPolicyLocal = spec.internalTrafficPolicy === 'Local'
  const healthCheckNodePort = spec.type === 'LoadBalancer' && externalPolicyLocal ? (spec.healthCheckNodePort ?? 0) : 0
  const affinityTimeout = spec.sessionAffinity === 'ClientIP'
    ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800)
    : 0
  return spec.ports.map((p, i) => {
    const portName = p.name ?? ''
    return {
      service: `${ns}/${name}`,
      namespace: ns,
      name,
      portIndex: i,
      portName,
      portString: servicePortString(ns, name, portName, opts.profile),
      protocol: p.protocol,
      proto: p.protocol.toLowerCase(),
      port: p.port,
      nodePort: p.nodePort ?? 0,
      targetPort: p.targetPort,
      clusterIP,
      externalIPs,
      externalIPIdx,
      lbIPs,
      lbIPIdx,
      lbSourceRanges,
      externalPolicyLocal,
      internalPolicyLocal,
      healthCheckNodePort,
      affinityTimeout,
      type: spec.type
    }
  })
}

/** ExternallyAccessible (§4.1): nodePort, LB VIPs or externalIPs. */
export function externallyAccessible (sp: ServicePortInfo): boolean {
  return sp.nodePort !== 0 || sp.lbIPs.length > 0 || sp.externalIPs.length > 0
}

export function usesClusterEndpoints (sp: ServicePortInfo): boolean {
  return !sp.internalPolicyLocal || externallyAccessible(sp)
}

export function usesLocalEndpoints (sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || (sp.externalPolicyLocal && externallyAccessible(sp))
}
