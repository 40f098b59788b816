/**
 * Strict decoding of request JSON into typed objects, like the API server's JSON decoder with
 * `fieldValidation=Strict` (kubectl's default): a wrong JSON type fails with Go's unmarshal text,
 * unknown fields fail with `strict decoding error: unknown field "spec.foo"`; both 400 BadRequest
 * `<Kind> in version "v1" cannot be handled as a <Kind>: …`, with `details.causes[].field`
 * holding the exact path (with indices). Real Kubernetes fields this simulator does not model
 * (container image, resources, node capacity, …) are accepted and kept as they are.
 */
import { statusError, StatusError, type StatusCause } from './errors.ts'
import type { Node, Pod, Service } from './model.ts'

type Schema =
  | { t: 'string' | 'bool' | 'int32' | 'int64' | 'intstr' | 'any' }
  | { t: 'map' }
  | { t: 'array', of: Schema }
  | { t: 'object', go: string, fields: Record<string, Schema>, open?: string[] }

const S: Schema = { t: 'string' }
const B: Schema = { t: 'bool' }
const I32: Schema = { t: 'int32' }
const ANY: Schema = { t: 'any' }
const MAP: Schema = { t: 'map' }
const arr = (of: Schema): Schema => ({ t: 'array', of })
const obj = (go: string, fields: Record<string, Schema>, open: string[] = []): Schema => ({ t: 'object', go, fields, open })
const opaque = (names: string[]): Record<string, Schema> => Object.fromEntries(names.map(n => [n, ANY]))

const OWNER_REF = obj('OwnerReference', { apiVersion: S, kind: S, name: S, uid: S, controller: B, blockOwnerDeletion: B })
const OBJECT_META = obj('ObjectMeta', {
  name: S, namespace: S, uid: S, resourceVersion: S, creationTimestamp: S, deletionTimestamp: S, generateName: S,
  labels: MAP, annotations: MAP, ownerReferences: arr(OWNER_REF),
  ...opaque(['generation', 'finalizers', 'managedFields', 'selfLink', 'deletionGracePeriodSeconds'])
})

const SERVICE_PORT = obj('ServicePort', { name: S, protocol: S, port: I32, targetPort: { t: 'intstr' }, nodePort: I32, appProtocol: S })
const SERVICE = obj('Service', {
  apiVersion: S,
  kind: S,
  metadata: OBJECT_META,
  spec: obj('ServiceSpec', {
    type: S,
    clusterIP: S,
    clusterIPs: arr(S),
    ipFamilies: arr(S),
    ipFamilyPolicy: S,
    ports: arr(SERVICE_PORT),
    selector: MAP,
    externalIPs: arr(S),
    externalName: S,
    sessionAffinity: S,
    sessionAffinityConfig: obj('SessionAffinityConfig', { clientIP: obj('ClientIPConfig', { timeoutSeconds: I32 }) }),
    externalTrafficPolicy: S,
    internalTrafficPolicy: S,
    healthCheckNodePort: I32,
    allocateLoadBalancerNodePorts: B,
    loadBalancerIP: S,
    loadBalancerClass: S,
    loadBalancerSourceRanges: arr(S),
    publishNotReadyAddresses: B,
    trafficDistribution: S
  }),
  status: obj('ServiceStatus', {
    loadBalancer: obj('LoadBalancerStatus', {
      ingress: arr(obj('LoadBalancerIngress', { ip: S, hostname: S, ipMode: S, ...opaque(['ports']) }))
    }),
    ...opaque(['conditions'])
  })
})

const CONTAINER_PORT = obj('ContainerPort', { name: S, containerPort: I32, protocol: S, hostPort: I32, ...opaque(['hostIP']) })
const CONTAINER_OPAQUE = ['command', 'args', 'workingDir', 'env', 'envFrom', 'resources', 'resizePolicy', 'restartPolicy', 'restartPolicyRules',
  'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath',
  'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty']
const CONTAINER = obj('Container', { name: S, image: S, ports: arr(CONTAINER_PORT), ...opaque(CONTAINER_OPAQUE) })
const POD = obj('Pod', {
  apiVersion: S,
  kind: S,
  metadata: OBJECT_META,
  spec: obj('PodSpec', {
    nodeName: S,
    hostNetwork: B,
    hostname: S,
    subdomain: S,
    containers: arr(CONTAINER),
    ...opaque(['volumes', 'initContainers', 'ephemeralContainers', 'restartPolicy', 'terminationGracePeriodSeconds',
      'activeDeadlineSeconds', 'dnsPolicy', 'nodeSelector', 'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken',
      'hostPID', 'hostIPC', 'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'affinity', 'schedulerName',
      'tolerations', 'hostAliases', 'priorityClassName', 'priority', 'dnsConfig', 'readinessGates', 'runtimeClassName',
      'enableServiceLinks', 'preemptionPolicy', 'overhead', 'topologySpreadConstraints', 'setHostnameAsFQDN', 'os', 'hostUsers',
      'schedulingGates', 'resourceClaims', 'resources'])
  }),
  status: obj('PodStatus', {
    phase: S,
    podIP: S,
    podIPs: arr(obj('PodIP', { ip: S })),
    hostIP: S,
    conditions: arr(obj('PodCondition', { type: S, status: S, ...opaque(['lastProbeTime', 'lastTransitionTime', 'reason', 'message', 'observedGeneration']) })),
    ...opaque(['hostIPs', 'containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses', 'qosClass', 'startTime',
      'message', 'reason', 'nominatedNodeName', 'resize', 'resourceClaimStatuses', 'observedGeneration'])
  })
})

const NODE = obj('Node', {
  apiVersion: S,
  kind: S,
  metadata: OBJECT_META,
  spec: obj('NodeSpec', { podCIDR: S, podCIDRs: arr(S), ...opaque(['unschedulable', 'taints', 'providerID', 'configSource', 'externalID']) }),
  status: obj('NodeStatus', {
    addresses: arr(obj('NodeAddress', { type: S, address: S })),
    ...opaque(['capacity', 'allocatable', 'conditions', 'daemonEndpoints', 'nodeInfo', 'images', 'volumesInUse', 'volumesAttached',
      'config', 'phase', 'runtimeHandlers', 'features', 'declaredFeatures'])
  })
})

function goTypeName (s: Schema): string {
  switch (s.t) {
    case 'string': return 'string'
    case 'bool': return 'bool'
    case 'int32': return 'int32'
    case 'int64': return 'int64'
    case 'intstr': return 'intstr.IntOrString'
    case 'map': return 'map[string]string'
    case 'array': return '[]' + goTypeName(s.of)
    case 'object': return 'v1.' + s.go
    default: return 'interface {}'
  }
}

function jsonKind (v: unknown): string {
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return `number ${String(v)}`
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'string') return 'string'
  return 'object'
}

class TypeErr { constructor (readonly message: string, readonly field: string) {} }

interface Ctx { unknown: string[], goStruct: string, dotted: string }

/** Checks `v` against `s`; returns the value to keep (null values become undefined, like Go zero values). */
function check (v: unknown, s: Schema, path: string, ctx: Ctx): unknown {
  if (v === null) return undefined
  if (s.t === 'any') return v
  const typeErr = (): never => {
    // json.UnmarshalTypeError: Value, Struct and the dotted JSON path without indices
    const val = typeof v === 'number' ? jsonKind(v) : jsonKind(v).split(' ')[0]
    const value = typeof v === 'number' && (s.t === 'int32' || s.t === 'int64' || s.t === 'intstr') ? `number ${String(v)}` : val
    const where = ctx.dotted === '' ? `Go value of type ${goTypeName(s)}` : `Go struct field ${ctx.goStruct}.${ctx.dotted} of type ${goTypeName(s)}`
    throw new TypeErr(`json: cannot unmarshal ${value.startsWith('number') && !(s.t === 'int32' || s.t === 'int64' || s.t === 'intstr') ? 'number' : value} into ${where}`, path)
  }
  switch (s.t) {
    case 'string': if (typeof v !== 'string') typeErr(); return v
    case 'bool': if (typeof v !== 'boolean') typeErr(); return v
    case 'int32':
    case 'int64': {
      if (typeof v !== 'number' || !Number.isInteger(v)) typeErr()
      const n = v as number
      const lim = s.t === 'int32' ? 2 ** 31 : 2 ** 63
      if (n < -lim || n >= lim) typeErr()
      return n
    }
    case 'intstr': {
      if (typeof v === 'string') return v
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) typeErr()
      return v
    }
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v)) typeErr()
      const out: Record<string, string> = {}
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (x === null) { out[k] = ''; continue }
        if (typeof x !== 'string') {
          const where = `Go struct field ${ctx.goStruct}.${ctx.dotted} of type string`
          throw new TypeErr(`json: cannot unmarshal ${jsonKind(x).split(' ')[0]} into ${where}`, `${path}.${k}`)
        }
        out[k] = x
      }
      return out
    }
    case 'array': {
      if (!Array.isArray(v)) typeErr()
      return (v as unknown[]).map((x, i) => {
        if (x === null && s.of.t === 'object') return {}
        return check(x, s.of, `${path}[${i}]`, ctx)
      })
    }
    case 'object': {
      if (typeof v !== 'object' || Array.isArray(v)) typeErr()
      const out: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const sub = s.fields[k]
        const p = path === '' ? k : `${path}.${k}`
        if (sub === undefined) { ctx.unknown.push(p); continue }
        const inner: Ctx = { unknown: ctx.unknown, goStruct: s.go, dotted: ctx.dotted === '' ? k : `${ctx.dotted}.${k}` }
        const r = check(x, sub, p, inner)
        if (r !== undefined) out[k] = r
      }
      return out
    }
  }
  return v
}

function decode<T> (input: unknown, schema: Schema & { t: 'object' }, kind: string): T {
  const prefix = `${kind} in version "v1" cannot be handled as a ${kind}: `
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw badRequestWith(prefix + `json: cannot unmarshal ${jsonKind(input).split(' ')[0]} into Go value of type v1.${kind}`, [])
  }
  const o = input as Record<string, unknown>
  if (o.apiVersion !== undefined && o.apiVersion !== null && o.apiVersion !== 'v1') {
    throw badRequestWith(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (v1)`, [])
  }
  if (o.kind !== undefined && o.kind !== null && o.kind !== kind) {
    throw badRequestWith(`the kind in the data (${String(o.kind)}) does not match the expected kind (${kind})`, [])
  }
  const ctx: Ctx = { unknown: [], goStruct: kind, dotted: '' }
  let out: Record<string, unknown>
  try {
    out = check(input, schema, '', ctx) as Record<string, unknown>
  } catch (e) {
    if (e instanceof TypeErr) throw badRequestWith(prefix + e.message, [{ reason: 'FieldValueTypeInvalid', message: e.message, field: e.field }])
    throw e
  }
  if (ctx.unknown.length > 0) {
    const msg = ctx.unknown.map(f => `unknown field ${JSON.stringify(f)}`).join(', ')
    throw badRequestWith(prefix + 'strict decoding error: ' + msg, ctx.unknown.map(f => ({ reason: 'FieldValueInvalid', message: `unknown field ${JSON.stringify(f)}`, field: f })))
  }
  out.apiVersion = 'v1'
  out.kind = kind
  out.metadata ??= {}
  out.spec ??= {}
  out.status ??= {}
  return out as T
}

function badRequestWith (message: string, causes: StatusCause[]): StatusError {
  const e = statusError(400, 'BadRequest', message)
  if (causes.length > 0) {
    const s = e.status
    return new StatusError({ kind: s.kind, apiVersion: s.apiVersion, metadata: {}, status: s.status, message, reason: s.reason, details: { causes }, code: 400 })
  }
  return e
}

export function decodeService (input: unknown): Service { return decode<Service>(input, SERVICE as Schema & { t: 'object' }, 'Service') }
export function decodePod (input: unknown): Pod { return decode<Pod>(input, POD as Schema & { t: 'object' }, 'Pod') }
export function decodeNode (input: unknown): Node { return decode<Node>(input, NODE as Schema & { t: 'object' }, 'Node') }
