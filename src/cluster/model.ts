/**
 * Kubernetes-shaped objects of a virtual cluster, as the API returns them (v1 JSON field names).
 * Pure types: no I/O. The store persists them; the rule generator and the trace read them.
 */

export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  creationTimestamp?: string
  deletionTimestamp?: string
  generateName?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: OwnerReference[]
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP'
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName'
export type TrafficPolicy = 'Cluster' | 'Local'

export interface ServicePort {
  name?: string
  protocol: Protocol
  port: number
  /** number, or the name of a container port */
  targetPort: number | string
  nodePort?: number
  appProtocol?: string
}

export interface ServiceSpec {
  type: ServiceType
  clusterIP?: string
  clusterIPs?: string[]
  ipFamilies?: string[]
  ipFamilyPolicy?: string
  ports: ServicePort[]
  selector?: Record<string, string>
  externalIPs?: string[]
  externalName?: string
  sessionAffinity: 'None' | 'ClientIP'
  sessionAffinityConfig?: { clientIP: { timeoutSeconds: number } }
  externalTrafficPolicy?: TrafficPolicy
  internalTrafficPolicy?: TrafficPolicy
  healthCheckNodePort?: number
  allocateLoadBalancerNodePorts?: boolean
  loadBalancerIP?: string
  loadBalancerClass?: string
  loadBalancerSourceRanges?: string[]
  publishNotReadyAddresses?: boolean
  trafficDistribution?: string
}

export interface LoadBalancerIngress {
  ip?: string
  hostname?: string
  /** `VIP` (default when ip is set) or `Proxy` */
  ipMode?: 'VIP' | 'Proxy'
}

export interface Service {
  apiVersion: 'v1'
  kind: 'Service'
  metadata: ObjectMeta
  spec: ServiceSpec
  status: { loadBalancer: { ingress?: LoadBalancerIngress[] } }
}

export interface ContainerPort {
  name?: string
  containerPort: number
  protocol: Protocol
  hostPort?: number
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown'

export interface Pod {
  apiVersion: 'v1'
  kind: 'Pod'
  metadata: ObjectMeta
  spec: {
    nodeName?: string
    hostNetwork?: boolean
    hostname?: string
    subdomain?: string
    containers: Array<{ name: string, image?: string, ports?: ContainerPort[] }>
  }
  status: {
    phase: PodPhase
    podIP?: string
    podIPs?: Array<{ ip: string }>
    hostIP?: string
    conditions?: Array<{ type: string, status: 'True' | 'False' | 'Unknown' }>
  }
}

export interface NodeAddress {
  type: 'InternalIP' | 'ExternalIP' | 'Hostname' | 'InternalDNS' | 'ExternalDNS'
  address: string
}

export interface Node {
  apiVersion: 'v1'
  kind: 'Node'
  metadata: ObjectMeta
  spec: { podCIDR?: string, podCIDRs?: string[] }
  status: { addresses: NodeAddress[] }
}

export interface EndpointConditions {
  ready?: boolean
  serving?: boolean
  terminating?: boolean
}

export interface Endpoint {
  addresses: string[]
  conditions: EndpointConditions
  nodeName?: string
  zone?: string
  hostname?: string
  targetRef?: { kind: 'Pod', namespace: string, name: string, uid?: string }
}

export interface EndpointPort {
  name?: string
  protocol: Protocol
  port: number
  appProtocol?: string
}

export interface EndpointSlice {
  apiVersion: 'discovery.k8s.io/v1'
  kind: 'EndpointSlice'
  metadata: ObjectMeta
  addressType: 'IPv4' | 'IPv6'
  endpoints: Endpoint[]
  ports: EndpointPort[] | null
}

/** Which kube-proxy era the rule generator imitates. */
export type KubeProxyProfile = 'current' | 'legacy'

export interface KubeProxySettings {
  profile: KubeProxyProfile
  /** `--masquerade-all` */
  masqueradeAll: boolean
  /** `--nodeport-addresses` CIDRs; empty = all local addresses (or the `primary` keyword) */
  nodePortAddresses: string[]
  /** `--iptables-localhost-nodeports` (current profile) */
  localhostNodePorts: boolean
  /** `--iptables-masquerade-bit`, default 14 → 0x4000 */
  masqueradeBit: number
}

export interface ClusterSettings {
  name: string
  serviceCIDR: string
  clusterCIDR: string
  nodePortRange: { min: number, max: number }
  kubeProxy: KubeProxySettings
}

export const DEFAULT_KUBE_PROXY: KubeProxySettings = {
  profile: 'current',
  masqueradeAll: false,
  nodePortAddresses: [],
  localhostNodePorts: true,
  masqueradeBit: 14
}
