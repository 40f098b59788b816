/**
 * v1 defaulting (pkg/apis/core/v1/defaults.go) for the objects we keep, plus the simulator's
 * own defaults where no kubelet/controller exists (pod phase/readiness, node hostname address).
 * Pure: returns a new object, never mutates the input.
 */
import { DEFAULT_KUBE_PROXY, type ClusterSettings, type Node, type Pod, type Service } from './model.ts'

export type DeepPartial<T> = T extends Array<infer U> ? Array<DeepPartial<U>> : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12'
export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16'
export const DEFAULT_NODE_PORT_RANGE = { min: 30000, max: 32767 }
export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800
export const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400

/** NodePort, LoadBalancer, or ClusterIP with externalIPs (service.ExternallyAccessible). */
export function externallyAccessible (svc: Service): boolean {
  const t = svc.spec.type
  return t === 'NodePort' || t === 'LoadBalancer' || (t === 'ClusterIP' && (svc.spec.externalIPs?.length ?? 0) > 0)
}

/** LoadBalancer with externalTrafficPolicy Local (apiservice.NeedsHealthCheck). */
export function needsHealthCheck (svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local'
}

export function isHeadless (svc: Service): boolean {
  return svc.spec.clusterIPs?.[0] === 'None' || svc.spec.clusterIP === 'None'
}

/** SetDefaults_Service. No allocation; clusterIP/clusterIPs normalisation happens in planAllocation. */
export function defaultService (input: Service): Service {
  const svc = structuredClone(input) as Service
  svc.apiVersion = 'v1'
  svc.kind = 'Service'
  svc.metadata ??= { name: '' }
  svc.spec ??= {} as Service['spec']
  const spec = svc.spec
  if (spec.sessionAffinity === undefined || (spec.sessionAffinity as string) === '') spec.sessionAffinity = 'None'
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig
  if (spec.sessionAffinity === 'ClientIP' &&
    (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined || spec.sessionAffinityConfig.clientIP.timeoutSeconds === null)) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS } }
  }
  if (spec.type === undefined || (spec.type as string) === '') spec.type = 'ClusterIP'
  spec.ports ??= []
  for (const p of spec.ports) {
    if (p.protocol === undefined || (p.protocol as string) === '') p.protocol = 'TCP'
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port
  }
  if (externallyAccessible(svc) && (spec.externalTrafficPolicy === undefined || (spec.externalTrafficPolicy as string) === '')) {
    spec.externalTrafficPolicy = 'Cluster'
  }
  if (spec.internalTrafficPolicy === undefined && spec.type !== 'ExternalName') spec.internalTrafficPolicy = 'Cluster'
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true
  svc.status ??= { loadBalancer: {} }
  svc.status.loadBalancer ??= {}
  if (spec.type === 'LoadBalancer') {
    for (const ing of svc.status.loadBalancer.ingress ?? []) {
      if (ing.ip !== undefined && ing.ip !== '' && ing.ipMode === undefined) ing.ipMode = 'VIP'
    }
  }
  return svc
}

/**
 * Pod defaults: container port protocol TCP; hostNetwork ports get hostPort = containerPort
 * (SetDefaults_Pod). Simulator defaults (no kubelet): phase `Running`, and a `Ready` condition
 * True for Running pods that state none; podIP/podIPs kept in sync.
 */
export function defaultPod (input: Pod): Pod {
  const pod = structuredClone(input) as Pod
  pod.apiVersion = 'v1'
  pod.kind = 'Pod'
  pod.metadata ??= { name: '' }
  pod.spec ??= { containers: [] }
  pod.spec.containers ??= []
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (p.protocol === undefined || (p.protocol as string) === '') p.protocol = 'TCP'
      if (pod.spec.hostNetwork === true && (p.hostPort === undefined || p.hostPort === 0)) p.hostPort = p.containerPort
    }
  }
  pod.status ??= { phase: 'Running' }
  if (pod.status.phase === undefined || (pod.status.phase as string) === '') pod.status.phase = 'Running'
  if (pod.status.conditions === undefined && pod.status.phase === 'Running') {
    pod.status.conditions = [{ type: 'Ready', status: 'True' }]
  }
  const ip = pod.status.podIP
  if (ip !== undefined && ip !== '' && (pod.status.podIPs === undefined || pod.status.podIPs.length === 0)) {
    pod.status.podIPs = [{ ip }]
  } else if ((ip === undefined || ip === '') && pod.status.podIPs !== undefined && pod.status.podIPs.length > 0) {
    pod.status.podIP = pod.status.podIPs[0].ip
  }
  return pod
}

/** Node defaults: podCIDR/podCIDRs in sync, label kubernetes.io/hostname and a Hostname address. */
export function defaultNode (input: Node): Node {
  const node = structuredClone(input) as Node
  node.apiVersion = 'v1'
  node.kind = 'Node'
  node.metadata ??= { name: '' }
  node.spec ??= {}
  node.status ??= { addresses: [] }
  node.status.addresses ??= []
  const { spec } = node
  if (spec.podCIDR !== undefined && spec.podCIDR !== '' && (spec.podCIDRs === undefined || spec.podCIDRs.length === 0)) {
    spec.podCIDRs = [spec.podCIDR]
  } else if ((spec.podCIDR === undefined || spec.podCIDR === '') && spec.podCIDRs !== undefined && spec.podCIDRs.length > 0) {
    spec.podCIDR = spec.podCIDRs[0]
  }
  const name = node.metadata.name
  if (name !== undefined && name !== '') {
    node.metadata.labels = { 'kubernetes.io/hostname': name, ...(node.metadata.labels ?? {}) }
    if (!node.status.addresses.some(a => a.type === 'Hostname')) node.status.addresses.push({ type: 'Hostname', address: name })
  }
  return node
}

export function defaultClusterSettings (partial: DeepPartial<ClusterSettings> & { name: string }): ClusterSettings {
  const kp = partial.kubeProxy ?? {}
  return {
    name: partial.name,
    serviceCIDR: partial.serviceCIDR ?? DEFAULT_SERVICE_CIDR,
    clusterCIDR: partial.clusterCIDR ?? DEFAULT_CLUSTER_CIDR,
    nodePortRange: {
      min: partial.nodePortRange?.min ?? DEFAULT_NODE_PORT_RANGE.min,
      max: partial.nodePortRange?.max ?? DEFAULT_NODE_PORT_RANGE.max
    },
    kubeProxy: {
      profile: kp.profile ?? DEFAULT_KUBE_PROXY.profile,
      masqueradeAll: kp.masqueradeAll ?? DEFAULT_KUBE_PROXY.masqueradeAll,
      nodePortAddresses: (kp.nodePortAddresses ?? DEFAULT_KUBE_PROXY.nodePortAddresses).filter((x): x is string => typeof x === 'string'),
      localhostNodePorts: kp.localhostNodePorts ?? DEFAULT_KUBE_PROXY.localhostNodePorts,
      masqueradeBit: kp.masqueradeBit ?? DEFAULT_KUBE_PROXY.masqueradeBit
    }
  }
}
