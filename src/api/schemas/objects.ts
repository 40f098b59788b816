/**
 * TypeBox schemas of the API's objects, for the OpenAPI document and for validating the few bodies
 * that are not Kubernetes objects. Kubernetes object bodies are decoded by src/cluster/decode.ts
 * (strict, with the API server's error texts), so for them these schemas document, not validate.
 * Registered by $id and referenced with Type.Ref so they appear once under components.schemas.
 */
import { Type, type TSchema } from 'typebox'

const Str = Type.String()
const Labels = Type.Record(Type.String(), Type.String())
const Protocol = Type.Union([Type.Literal('TCP'), Type.Literal('UDP'), Type.Literal('SCTP')])
const opt = <T extends TSchema>(s: T) => Type.Optional(s)

export const ObjectMeta = Type.Object({
  name: opt(Str),
  namespace: opt(Str),
  uid: opt(Str),
  resourceVersion: opt(Type.String({ description: 'opaque; send it back on PUT for optimistic concurrency' })),
  creationTimestamp: opt(Str),
  deletionTimestamp: opt(Str),
  generateName: opt(Str),
  labels: opt(Labels),
  annotations: opt(Labels)
}, { $id: 'ObjectMeta' })

export const ServicePort = Type.Object({
  name: opt(Str),
  protocol: opt(Protocol),
  port: Type.Integer(),
  targetPort: opt(Type.Union([Type.Integer(), Type.String()])),
  nodePort: opt(Type.Integer()),
  appProtocol: opt(Str)
}, { $id: 'ServicePort' })

export const Service = Type.Object({
  apiVersion: opt(Type.Literal('v1')),
  kind: opt(Type.Literal('Service')),
  metadata: Type.Ref('ObjectMeta'),
  spec: Type.Object({
    type: opt(Type.Union([Type.Literal('ClusterIP'), Type.Literal('NodePort'), Type.Literal('LoadBalancer'), Type.Literal('ExternalName')])),
    clusterIP: opt(Str),
    clusterIPs: opt(Type.Array(Str)),
    ipFamilies: opt(Type.Array(Str)),
    ipFamilyPolicy: opt(Str),
    ports: opt(Type.Array(Type.Ref('ServicePort'))),
    selector: opt(Labels),
    externalIPs: opt(Type.Array(Str)),
    externalName: opt(Str),
    sessionAffinity: opt(Type.Union([Type.Literal('None'), Type.Literal('ClientIP')])),
    sessionAffinityConfig: opt(Type.Object({ clientIP: Type.Object({ timeoutSeconds: opt(Type.Integer()) }) })),
    externalTrafficPolicy: opt(Type.Union([Type.Literal('Cluster'), Type.Literal('Local')])),
    internalTrafficPolicy: opt(Type.Union([Type.Literal('Cluster'), Type.Literal('Local')])),
    healthCheckNodePort: opt(Type.Integer()),
    allocateLoadBalancerNodePorts: opt(Type.Boolean()),
    loadBalancerIP: opt(Str),
    loadBalancerClass: opt(Str),
    loadBalancerSourceRanges: opt(Type.Array(Str)),
    publishNotReadyAddresses: opt(Type.Boolean()),
    trafficDistribution: opt(Str)
  }),
  status: opt(Type.Object({
    loadBalancer: opt(Type.Object({
      ingress: opt(Type.Array(Type.Object({ ip: opt(Str), hostname: opt(Str), ipMode: opt(Type.Union([Type.Literal('VIP'), Type.Literal('Proxy')])) })))
    }))
  }))
}, { $id: 'Service', description: 'v1 Service (networking fields)' })

export const Pod = Type.Object({
  apiVersion: opt(Type.Literal('v1')),
  kind: opt(Type.Literal('Pod')),
  metadata: Type.Ref('ObjectMeta'),
  spec: Type.Object({
    nodeName: opt(Str),
    hostNetwork: opt(Type.Boolean()),
    hostname: opt(Str),
    subdomain: opt(Str),
    containers: Type.Array(Type.Object({
      name: Str,
      image: opt(Str),
      ports: opt(Type.Array(Type.Object({ name: opt(Str), containerPort: Type.Integer(), protocol: opt(Protocol), hostPort: opt(Type.Integer()) })))
    }))
  }),
  status: opt(Type.Object({
    phase: opt(Type.Union(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'].map(p => Type.Literal(p)))),
    podIP: opt(Type.String({ description: 'assigned from the node podCIDR (CNI host-local order) unless given' })),
    podIPs: opt(Type.Array(Type.Object({ ip: Str }))),
    hostIP: opt(Str),
    conditions: opt(Type.Array(Type.Object({ type: Str, status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]) })))
  }))
}, { $id: 'Pod', description: 'v1 Pod (networking fields)' })

export const Node = Type.Object({
  apiVersion: opt(Type.Literal('v1')),
  kind: opt(Type.Literal('Node')),
  metadata: Type.Ref('ObjectMeta'),
  spec: opt(Type.Object({
    podCIDR: opt(Type.String({ description: 'sequential /24 from the cluster CIDR unless given' })),
    podCIDRs: opt(Type.Array(Str))
  })),
  status: opt(Type.Object({
    addresses: opt(Type.Array(Type.Object({ type: Type.Union(['InternalIP', 'ExternalIP', 'Hostname', 'InternalDNS', 'ExternalDNS'].map(t => Type.Literal(t))), address: Str })))
  }))
}, { $id: 'Node', description: 'v1 Node' })

export const EndpointSlice = Type.Object({
  apiVersion: Type.Literal('discovery.k8s.io/v1'),
  kind: Type.Literal('EndpointSlice'),
  metadata: Type.Ref('ObjectMeta'),
  addressType: Type.Union([Type.Literal('IPv4'), Type.Literal('IPv6')]),
  endpoints: Type.Array(Type.Object({
    addresses: Type.Array(Str),
    conditions: Type.Object({ ready: opt(Type.Boolean()), serving: opt(Type.Boolean()), terminating: opt(Type.Boolean()) }),
    nodeName: opt(Str),
    zone: opt(Str),
    hostname: opt(Str),
    targetRef: opt(Type.Object({ kind: Type.Literal('Pod'), namespace: Str, name: Str, uid: opt(Str) }))
  })),
  ports: Type.Union([Type.Null(), Type.Array(Type.Object({ name: opt(Str), protocol: Protocol, port: Type.Integer(), appProtocol: opt(Str) }))])
}, { $id: 'EndpointSlice', description: 'discovery.k8s.io/v1 EndpointSlice, derived from pods by selector' })

export const KubeProxySettings = Type.Object({
  profile: Type.Union([Type.Literal('current'), Type.Literal('legacy')], { description: 'which kube-proxy era the rule generator imitates' }),
  masqueradeAll: Type.Boolean(),
  nodePortAddresses: Type.Array(Str),
  localhostNodePorts: Type.Boolean(),
  masqueradeBit: Type.Integer()
}, { $id: 'KubeProxySettings' })

export const Cluster = Type.Object({
  apiVersion: Type.Literal('kubenetsim.io/v1'),
  kind: Type.Literal('Cluster'),
  metadata: Type.Object({ name: Str, uid: Str, creationTimestamp: Str, resourceVersion: Str }),
  spec: Type.Object({
    serviceCIDR: Str,
    clusterCIDR: Str,
    nodePortRange: Type.String({ description: 'like --service-node-port-range, e.g. 30000-32767' }),
    kubeProxy: Type.Ref('KubeProxySettings')
  })
}, { $id: 'Cluster', description: 'a virtual cluster' })

/** POST /api/v1/clusters body: strict (unknown fields are rejected). */
export const ClusterCreate = Type.Object({
  apiVersion: opt(Type.Literal('kubenetsim.io/v1')),
  kind: opt(Type.Literal('Cluster')),
  metadata: Type.Object({ name: Type.String({ description: 'DNS-1123 label' }) }, { additionalProperties: false }),
  spec: opt(Type.Object({
    serviceCIDR: opt(Type.String({ description: 'default 10.96.0.0/12' })),
    clusterCIDR: opt(Type.String({ description: 'default 10.244.0.0/16' })),
    nodePortRange: opt(Type.String({ description: 'default 30000-32767' })),
    kubeProxy: opt(Type.Object({
      profile: opt(Type.Union([Type.Literal('current'), Type.Literal('legacy')])),
      masqueradeAll: opt(Type.Boolean()),
      nodePortAddresses: opt(Type.Array(Str)),
      localhostNodePorts: opt(Type.Boolean()),
      masqueradeBit: opt(Type.Integer())
    }, { additionalProperties: false }))
  }, { additionalProperties: false }))
}, { $id: 'ClusterCreate', additionalProperties: false })

export const Status = Type.Object({
  kind: Type.Literal('Status'),
  apiVersion: Type.Literal('v1'),
  metadata: Type.Object({}),
  status: Type.Literal('Failure'),
  message: Str,
  reason: Str,
  details: opt(Type.Object({
    name: opt(Str),
    group: opt(Str),
    kind: opt(Str),
    causes: opt(Type.Array(Type.Object({ reason: opt(Str), message: Str, field: opt(Str) })))
  })),
  code: Type.Integer()
}, { $id: 'Status', description: 'Kubernetes metav1.Status: every error has this shape' })

export const NodePortTable = Type.Object({
  kind: Type.Literal('NodePortAllocationList'),
  apiVersion: Type.Literal('kubenetsim.io/v1'),
  metadata: Type.Object({ resourceVersion: Str }),
  range: Str,
  items: Type.Array(Type.Object({
    port: Type.Integer(),
    protocols: Type.Array(Protocol),
    field: Type.String({ description: 'spec.ports[i].nodePort or spec.healthCheckNodePort' }),
    namespace: Str,
    service: Str
  }))
}, { $id: 'NodePortTable', description: 'which Service holds each allocated NodePort' })

export const ApplyResult = Type.Object({
  kind: Type.Literal('List'),
  apiVersion: Type.Literal('v1'),
  metadata: Type.Object({ resourceVersion: Str }),
  items: Type.Array(Type.Union([Type.Ref('Node'), Type.Ref('Pod'), Type.Ref('Service')])),
  results: Type.Array(Type.Object({
    document: Type.Integer(),
    kind: Str,
    namespace: opt(Str),
    name: Str,
    action: Type.Union([Type.Literal('created'), Type.Literal('configured')])
  }))
}, { $id: 'ApplyResult', description: 'objects applied, in document order' })

const list = (kind: string, item: string, apiVersion = 'v1') => Type.Object({
  kind: Type.Literal(kind),
  apiVersion: Type.Literal(apiVersion),
  metadata: Type.Object({ resourceVersion: opt(Str) }),
  items: Type.Array(Type.Ref(item))
}, { $id: kind })

export const ServiceList = list('ServiceList', 'Service')
export const PodList = list('PodList', 'Pod')
export const NodeList = list('NodeList', 'Node')
export const EndpointSliceList = list('EndpointSliceList', 'EndpointSlice', 'discovery.k8s.io/v1')
export const ClusterList = list('ClusterList', 'Cluster', 'kubenetsim.io/v1')

export const Health = Type.Object({ status: Type.Literal('ok') }, { $id: 'Health' })

/** Every named schema, in the order they are registered with app.addSchema. */
export const NAMED_SCHEMAS: TSchema[] = [
  ObjectMeta, ServicePort, Service, Pod, Node, EndpointSlice, KubeProxySettings, Cluster, ClusterCreate, Status,
  NodePortTable, ApplyResult, ServiceList, PodList, NodeList, EndpointSliceList, ClusterList, Health
]
