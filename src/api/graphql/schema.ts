/**
 * The GraphQL schema (SDL): the one source of truth for the GraphQL API. Object types mirror the REST
 * JSON field for field (same names); Kubernetes maps (labels, selector) are the `JSON` scalar and
 * intOrString fields (targetPort) the `IntOrString` scalar. Object bodies of mutations are taken as
 * JSON (the Kubernetes manifest you would POST to REST) so the same decoder and validation answer.
 */
export const SDL = /* GraphQL */ `
"Any JSON value: Kubernetes maps (labels, selector, annotations) and free-form structures."
scalar JSON
"An integer or a string (Kubernetes intOrString, e.g. targetPort 80 or \\"http\\")."
scalar IntOrString

enum Protocol { TCP UDP SCTP }
enum ServiceType { ClusterIP NodePort LoadBalancer ExternalName }
enum TrafficPolicy { Cluster Local }
enum SessionAffinity { None ClientIP }
enum KubeProxyProfile { current legacy }
enum PodPhase { Pending Running Succeeded Failed Unknown }
enum IPMode { VIP Proxy }
enum ApplyAction { created configured }
enum ManifestFormat { yaml json }
enum IptablesFormat { save restore sorted json }

"metadata of list answers (REST: metadata of a List)"
type ListMeta { resourceVersion: String }

type OwnerReference { apiVersion: String! kind: String! name: String! uid: String! controller: Boolean blockOwnerDeletion: Boolean }

type ObjectMeta {
  name: String!
  namespace: String
  uid: String
  resourceVersion: String
  creationTimestamp: String
  deletionTimestamp: String
  generateName: String
  labels: JSON
  annotations: JSON
  ownerReferences: [OwnerReference!]
}

# ---- clusters ---------------------------------------------------------------------------------
type KubeProxySettings { profile: KubeProxyProfile! masqueradeAll: Boolean! nodePortAddresses: [String!]! localhostNodePorts: Boolean! masqueradeBit: Int! }
type ClusterSpec { serviceCIDR: String! clusterCIDR: String! "e.g. 30000-32767" nodePortRange: String! kubeProxy: KubeProxySettings! }
type ClusterMeta { name: String! uid: String! creationTimestamp: String! resourceVersion: String! }

"Access tokens of one cluster (shown once, in the createCluster answer, when access control is on)."
type ClusterTokens { readWrite: String! readOnly: String! }

"A virtual cluster (REST: /api/v1/clusters/{name}) and everything in it."
type Cluster {
  apiVersion: String!
  kind: String!
  metadata: ClusterMeta!
  spec: ClusterSpec!
  "only in the createCluster answer with access control on; null elsewhere"
  tokens: ClusterTokens
  nodes: NodeList!
  node(name: String!): Node!
  "pods of a namespace (REST .../namespaces/{ns}/pods); all namespaces when omitted"
  pods(namespace: String): PodList!
  pod(namespace: String!, name: String!): Pod!
  services(namespace: String): ServiceList!
  service(namespace: String!, name: String!): Service!
  endpointSlices(namespace: String): EndpointSliceList!
  nodePorts: NodePortTable!
}
type ClusterList { kind: String! apiVersion: String! metadata: ListMeta! items: [Cluster!]! }

input KubeProxyInput { profile: KubeProxyProfile masqueradeAll: Boolean nodePortAddresses: [String!] localhostNodePorts: Boolean masqueradeBit: Int }
input ClusterSpecInput { serviceCIDR: String clusterCIDR: String nodePortRange: String kubeProxy: KubeProxyInput }
input ClusterMetaInput { name: String! }
"The body of POST /api/v1/clusters."
input ClusterInput { apiVersion: String kind: String metadata: ClusterMetaInput! spec: ClusterSpecInput }

# ---- nodes ------------------------------------------------------------------------------------
type NodeAddress { type: String! address: String! }
type NodeSpec { podCIDR: String podCIDRs: [String!] }
type NodeStatus { addresses: [NodeAddress!]! }
type Node {
  apiVersion: String!
  kind: String!
  metadata: ObjectMeta!
  spec: NodeSpec!
  status: NodeStatus!
  "pods scheduled on this node"
  pods: [Pod!]!
  "this node's rules (as Query.iptables)"
  iptables(format: IptablesFormat = save, table: String, service: String, chain: String): IptablesView!
}
type NodeList { kind: String! apiVersion: String! metadata: ListMeta! items: [Node!]! }
type NodeWrite { object: Node! "true when PUT created it (REST 201)" created: Boolean! }

# ---- pods -------------------------------------------------------------------------------------
type ContainerPort { name: String containerPort: Int! protocol: Protocol! hostPort: Int }
type Container { name: String! image: String ports: [ContainerPort!] }
type PodSpec { nodeName: String hostNetwork: Boolean hostname: String subdomain: String containers: [Container!]! }
type PodIP { ip: String! }
type PodCondition { type: String! status: String! }
type PodStatus { phase: PodPhase! podIP: String podIPs: [PodIP!] hostIP: String conditions: [PodCondition!] }
type Pod {
  apiVersion: String!
  kind: String!
  metadata: ObjectMeta!
  spec: PodSpec!
  status: PodStatus!
  "the node named by spec.nodeName (null when it does not exist)"
  node: Node
}
type PodList { kind: String! apiVersion: String! metadata: ListMeta! items: [Pod!]! }
type PodWrite { object: Pod! created: Boolean! }

# ---- services ---------------------------------------------------------------------------------
type ServicePort { name: String protocol: Protocol! port: Int! targetPort: IntOrString! nodePort: Int appProtocol: String }
type ClientIPConfig { timeoutSeconds: Int }
type SessionAffinityConfig { clientIP: ClientIPConfig }
type ServiceSpec {
  type: ServiceType!
  clusterIP: String
  clusterIPs: [String!]
  ipFamilies: [String!]
  ipFamilyPolicy: String
  ports: [ServicePort!]!
  selector: JSON
  externalIPs: [String!]
  externalName: String
  sessionAffinity: SessionAffinity!
  sessionAffinityConfig: SessionAffinityConfig
  externalTrafficPolicy: TrafficPolicy
  internalTrafficPolicy: TrafficPolicy
  healthCheckNodePort: Int
  allocateLoadBalancerNodePorts: Boolean
  loadBalancerIP: String
  loadBalancerClass: String
  loadBalancerSourceRanges: [String!]
  publishNotReadyAddresses: Boolean
  trafficDistribution: String
}
type LoadBalancerIngress { ip: String hostname: String ipMode: IPMode }
type LoadBalancerStatus { ingress: [LoadBalancerIngress!] }
type ServiceStatus { loadBalancer: LoadBalancerStatus! }
input LoadBalancerIngressInput { ip: String hostname: String ipMode: IPMode }

type Service {
  apiVersion: String!
  kind: String!
  metadata: ObjectMeta!
  spec: ServiceSpec!
  status: ServiceStatus!
  "this service's EndpointSlices (derived from pods as the controller does)"
  endpointSlices: [EndpointSlice!]!
  "every endpoint of every slice of this service"
  endpoints: [Endpoint!]!
  "the NodePort allocation rows this service holds"
  nodePorts: [NodePortAllocation!]!
  "per node, this service's chains and rules with provenance (REST .../services/{name}/rules); one node when given"
  rules(node: String): ServiceRules!
}
type ServiceList { kind: String! apiVersion: String! metadata: ListMeta! items: [Service!]! }
type ServiceWrite { object: Service! created: Boolean! }

# ---- endpoint slices --------------------------------------------------------------------------
type EndpointConditions { ready: Boolean serving: Boolean terminating: Boolean }
type ObjectReference { kind: String! namespace: String! name: String! uid: String }
type Endpoint {
  addresses: [String!]!
  conditions: EndpointConditions!
  nodeName: String
  zone: String
  hostname: String
  targetRef: ObjectReference
  "the pod behind targetRef"
  pod: Pod
}
type EndpointPort { name: String protocol: Protocol! port: Int! appProtocol: String }
type EndpointSlice {
  apiVersion: String!
  kind: String!
  metadata: ObjectMeta!
  addressType: String!
  endpoints: [Endpoint!]!
  ports: [EndpointPort!]
}
type EndpointSliceList { kind: String! apiVersion: String! metadata: ListMeta! items: [EndpointSlice!]! }

# ---- nodeports --------------------------------------------------------------------------------
type NodePortAllocation { port: Int! protocols: [Protocol!]! "the spec field holding it" field: String! namespace: String! service: String! }
type NodePortTable { kind: String! apiVersion: String! metadata: ListMeta! range: String! items: [NodePortAllocation!]! }

# ---- manifests --------------------------------------------------------------------------------
union KubeObject = Node | Pod | Service
type AppliedObject { document: Int! kind: String! namespace: String name: String! action: ApplyAction! }
type ApplyResult { kind: String! apiVersion: String! metadata: ListMeta! items: [KubeObject!]! results: [AppliedObject!]! }

# ---- kube-proxy rules -------------------------------------------------------------------------
enum TraceProtocol { TCP UDP SCTP ICMP }
enum TraceMode { all sample }
enum TraceDetail { full matched }
enum TraceOutcomeKind { DELIVERED REJECTED DROPPED NO_ROUTE LOCAL EXTERNAL UNKNOWN }

"Which Service port / endpoint / spec field produced a rule."
type RuleProvenance { origin: String service: String servicePort: String endpoint: String field: String note: String }
type ServiceRule { "as kube-proxy writes it (restore input)" text: String! "as iptables-save prints it" save: String! provenance: RuleProvenance }
type ServiceChain { table: String! chain: String! "the service's own chain (SVC/SVL/EXT/FW/SEP/XLB)" owned: Boolean! rules: [ServiceRule!]! }
"One node's chains and rules of a service."
type NodeServiceRules { node: String! profile: String! chains: [ServiceChain!]! }
"REST GET .../namespaces/{ns}/services/{name}/rules"
type ServiceRules { kind: String! apiVersion: String! cluster: String! generation: Int! "namespace/name" service: String! nodes: [NodeServiceRules!]! }

type IptablesRule { "canonical iptables-save line" text: String! "the engine's parsed matches and target" rule: JSON! provenance: RuleProvenance }
type IptablesChain { name: String! builtin: Boolean! policy: String rules: [IptablesRule!]! }
type IptablesTable { name: String! chains: [IptablesChain!]! }
"REST GET .../nodes/{node}/iptables: text for save/restore/sorted, tables for json."
type IptablesView {
  kind: String
  apiVersion: String
  cluster: String
  generation: Int
  node: String!
  format: IptablesFormat!
  text: String
  profile: String
  largeClusterMode: Boolean
  tables: [IptablesTable!]
}

# ---- cluster traces ---------------------------------------------------------------------------
input TraceDestinationInput { address: String! port: Int }
"one of: an external client address (+ the node it enters, else the node owning the destination), a pod (ns/name), a node (host process)"
input TraceSourceInput { address: String port: Int node: String pod: String }
input TracePacketInput { protocol: TraceProtocol! destination: TraceDestinationInput! source: TraceSourceInput! }
input TraceOptionsInput {
  mode: TraceMode
  seed: Int
  reply: Boolean
  detail: TraceDetail
  advanceSeconds: Float
  "most paths an all-mode trace may enumerate (capped by the server's limit)"
  maxBranches: Int
}
type TracePacket { in: String! out: String! src: String! dst: String! protocol: String! sport: Int dport: Int tcpFlags: [String!] icmpType: Int mark: String! ttl: Int! }
type TraceStep {
  "rule | event"
  type: String!
  hook: String
  table: String
  chain: String
  kind: String
  n: Int
  rule: String
  "true, false, or the string unknown"
  matched: JSON
  why: String
  verdict: String
  jumpTo: String
  note: String
  explanation: String
  provenance: RuleProvenance
  probability: Float
  event: String
  message: String
  before: TracePacket
  after: TracePacket
}
type HopVerdict { kind: String! outIface: String nextHop: String reason: String }
type TraceHop { node: String! entry: String! inIface: String! hooks: [String!]! packetIn: TracePacket! packetOut: TracePacket! verdict: HopVerdict! probability: Float! steps: [TraceStep!]! }
type TraceRule { table: String! chain: String! n: Int! text: String! provenance: RuleProvenance }
type TraceReject { with: String! description: String! }
type TraceOutcomeReply { reachedClient: Boolean! from: String matchesRequest: Boolean! summary: String! }
type TraceOutcome {
  outcome: TraceOutcomeKind!
  probability: Float!
  node: String!
  pod: String
  address: String
  seenSource: String
  masqueraded: Boolean
  reject: TraceReject
  rule: TraceRule
  reason: String!
  reply: TraceOutcomeReply
  "indexes into paths (aggregated outcomes only)"
  paths: [Int!]
}
type TraceChoice { node: String! table: String! chain: String! n: Int! pMatch: Float! matched: Boolean! }
type TracePathReply { summary: String! reachedClient: Boolean! from: String matchesRequest: Boolean! final: String! hops: [TraceHop!]! }
type TracePath { probability: Float! outcome: TraceOutcome! choices: [TraceChoice!]! hops: [TraceHop!]! reply: TracePathReply }
type TraceSourceEcho { kind: String! address: String port: Int node: String! pod: String nodeChosen: String }
type TraceDestinationEcho { address: String! port: Int is: String! }
type TraceClock { now: Float! advancedSeconds: Float! }
type TraceRequestEcho { protocol: String! source: TraceSourceEcho! destination: TraceDestinationEcho! mode: TraceMode! seed: Int detail: TraceDetail! reply: Boolean! clock: TraceClock! }
type TraceMeta { cluster: String! generation: Int! profile: String! }
"REST POST .../traces"
type Trace { kind: String! apiVersion: String! metadata: TraceMeta! request: TraceRequestEcho! summary: String! outcomes: [TraceOutcome!]! paths: [TracePath!]! }
type AffinityEntry { node: String! "recent list (KUBE-SEP chain)" list: String! client: String! lastSeen: Float! }
type AffinityClock { now: Float! }
"REST GET/DELETE .../traces/affinity"
type TraceAffinity { kind: String! apiVersion: String! cluster: String! clock: AffinityClock! entries: [AffinityEntry!]! "entries removed by a reset" removed: Int }

# ---- standalone netfilter engine --------------------------------------------------------------
"REST POST /api/v1/netfilter/traces (host, packet, options as the REST body; JSON)"
type NetfilterTrace { kind: String! results: [NetfilterTraceResult!]! conntrack: [String!]! counters: JSON! }
type NetfilterBranch { probability: Float! outcome: JSON! packetAfter: JSON choices: JSON! ct: JSON steps: [JSON!]! }
type NetfilterTraceResult { packet: JSON! probability: Float! outcome: JSON! packetAfter: JSON choices: JSON ct: JSON steps: [JSON!]! branches: [NetfilterBranch!] }

type Query {
  clusters: ClusterList!
  cluster(name: String!): Cluster!
  service(cluster: String!, namespace: String!, name: String!): Service!
  "one node's rules (REST GET .../nodes/{node}/iptables); service is ns/name"
  iptables(cluster: String!, node: String!, format: IptablesFormat = save, table: String, service: String, chain: String): IptablesView!
  "a packet's journey through the cluster (REST POST .../traces)"
  trace(cluster: String!, packet: TracePacketInput!, options: TraceOptionsInput): Trace!
  "the session-affinity state sample traces recorded"
  traceAffinity(cluster: String!): TraceAffinity!
  "a packet through a standalone ruleset (REST POST /api/v1/netfilter/traces); host, packet(s), options as in REST"
  netfilterTrace(ruleset: String!, host: JSON!, packet: JSON, packets: [JSON!], options: JSON): NetfilterTrace!
}

type Mutation {
  createCluster(cluster: ClusterInput!): Cluster!
  deleteCluster(name: String!): Cluster!
  "multi-document YAML or a JSON object/List, all or nothing (REST POST .../manifests)"
  applyManifests(cluster: String!, manifests: String!, format: ManifestFormat = yaml): ApplyResult!
  "node: a v1 Node manifest (JSON)"
  createNode(cluster: String!, node: JSON!): Node!
  replaceNode(cluster: String!, name: String!, node: JSON!): NodeWrite!
  deleteNode(cluster: String!, name: String!): Node!
  createPod(cluster: String!, namespace: String!, pod: JSON!): Pod!
  replacePod(cluster: String!, namespace: String!, name: String!, pod: JSON!): PodWrite!
  deletePod(cluster: String!, namespace: String!, name: String!): Pod!
  createService(cluster: String!, namespace: String!, service: JSON!): Service!
  replaceService(cluster: String!, namespace: String!, name: String!, service: JSON!): ServiceWrite!
  deleteService(cluster: String!, namespace: String!, name: String!): Service!
  "sets status.loadBalancer.ingress (there is no cloud controller to do it)"
  setLoadBalancerIngress(cluster: String!, namespace: String!, name: String!, ingress: [LoadBalancerIngressInput!]!): Service!
  "forgets the cluster's session-affinity (recent) state"
  resetAffinity(cluster: String!): TraceAffinity!
}
`
