/**
 * The API server's allocation step (registry/core/service/storage/alloc.go), as a pure plan:
 * ClusterIP(s) and NodePorts (+ healthCheckNodePort) chosen before validation, with the server's
 * error texts. The caller persists the plan's allocations (the DB enforces uniqueness), then runs
 * validateService / validateServiceUpdate on `plan.svc`.
 *
 * Create: normalizeClusterIPs → initIPFamilyFields (incl. ValidateServiceClusterIPsRelatedFields)
 *         → clusterIPs → nodePorts (initNodePorts: one nodePort per service port *number*) → hcNodePort.
 * Update: patchAllocatedValues → normalizeClusterIPs → initIPFamilyFields → clusterIPs
 *         → nodePorts (updateNodePorts) → hcNodePort → dropTypeDependentFields.
 */
import { isHeadless, needsHealthCheck } from './defaults.ts'
import { fieldInvalid, internalError, invalid, statusError, type FieldError } from './errors.ts'
import { cidrSize, formatIP, parseCIDR, parseIP, type CIDR } from './ip.ts'
import type { ClusterSettings, Protocol, Service } from './model.ts'
import { validateServiceClusterIPsRelatedFields } from './validation/service.ts'

export interface AllocationInput {
  /** defaulted new object */
  svc: Service
  /** the stored object, on replace */
  old?: Service
  settings: ClusterSettings
  /** every nodePort held in the cluster (including the old object's own) */
  usedNodePorts: ReadonlySet<number>
  /** every ClusterIP held in the cluster (including the old object's own) */
  usedClusterIPs: ReadonlySet<string>
  /** injected randomness in [0,1) */
  random: () => number
}

export interface NodePortHold { port: number, protocols: Protocol[], field: string }

export interface AllocationPlan {
  /** with clusterIP/clusterIPs, ipFamilies/ipFamilyPolicy, ports[].nodePort, healthCheckNodePort filled */
  svc: Service
  /** nodePorts this service holds after the change */
  nodePorts: NodePortHold[]
  /** VIPs this service holds after the change */
  clusterIPs: string[]
  /** newly taken by this request (roll back on failure) */
  allocatedNodePorts: number[]
  allocatedClusterIPs: string[]
  /** held before, not any more: release after the write commits */
  releasedNodePorts: number[]
  releasedClusterIPs: string[]
}

export const ERR_PORT_ALLOCATED = 'provided port is already allocated'
export const ERR_IP_ALLOCATED = 'provided IP is already allocated'
export const ERR_FULL = 'range is full'
export const ERR_NETWORK_MISMATCH = 'the provided network does not match the current range'

export function nodePortRangeText (s: ClusterSettings): string {
  return `${s.nodePortRange.min}-${s.nodePortRange.max}`
}

export function errPortNotInRange (s: ClusterSettings): string {
  return `provided port is not in the valid range. The range of valid ports is ${nodePortRangeText(s)}`
}

/** KEP-3668 static band size: min(max(16, size/32), 128); 0 when size <= 16. */
export function nodePortBandOffset (size: number): number {
  if (size <= 16) return 0
  return Math.min(Math.max(16, Math.floor(size / 32)), 128)
}

/** KEP-3070 static band size: min(max(16, cidrSize/16), 256); 0 when cidrSize <= 16. */
export function clusterIPBandOffset (cidr: CIDR): number {
  const size = cidrSize(cidr)
  if (size <= 16n) return 0
  const off = size / 16n
  if (off < 16n) return 16
  if (off > 256n) return 256
  return Number(off)
}

/** Usable addresses: network+1 … (broadcast-1 for IPv4, last for IPv6). */
export function clusterIPRangeSize (cidr: CIDR): number {
  const size = cidrSize(cidr)
  const max = size - (cidr.family === 4 ? 2n : 1n)
  const cap = 1n << 24n // a bitmap-sized cap keeps huge IPv6 ranges scannable
  return Number(max > cap ? cap : (max < 0n ? 0n : max))
}

function intn (random: () => number, n: number): number {
  const v = Math.floor(random() * n)
  return v >= n ? n - 1 : (v < 0 ? 0 : v)
}

/**
 * randomScanStrategyWithOffset: random start in the upper band [offset, max), scan forward with
 * wrap; then the same in the lower band [0, offset). Returns the index or -1 when full.
 */
export function randomScanWithOffset (max: number, offset: number, isFree: (i: number) => boolean, random: () => number): number {
  const upper = max - offset
  if (upper > 0) {
    const start = intn(random, upper)
    for (let i = 0; i < upper; i++) {
      const at = offset + ((start + i) % upper)
      if (isFree(at)) return at
    }
  }
  if (offset > 0) {
    const start = intn(random, offset)
    for (let i = 0; i < offset; i++) {
      const at = (start + i) % offset
      if (isFree(at)) return at
    }
  }
  return -1
}

/** A port-allocation operation: allocations made in this request count as taken. */
class PortOp {
  readonly taken = new Set<number>()
  constructor (readonly settings: ClusterSettings, readonly used: ReadonlySet<number>, readonly random: () => number) {}

  /** Allocate(port): error text or null. */
  allocate (port: number): string | null {
    const { min, max } = this.settings.nodePortRange
    if (!Number.isInteger(port) || port < min || port > max) return errPortNotInRange(this.settings)
    if (this.used.has(port) || this.taken.has(port)) return ERR_PORT_ALLOCATED
    this.taken.add(port)
    return null
  }

  /** AllocateNext(): the port or null when the range is full. */
  allocateNext (): number | null {
    const { min, max } = this.settings.nodePortRange
    const size = max - min + 1
    const idx = randomScanWithOffset(size, nodePortBandOffset(size), i => !this.used.has(min + i) && !this.taken.has(min + i), this.random)
    if (idx < 0) return null
    this.taken.add(min + idx)
    return min + idx
  }
}

function familyName (f: 4 | 6): string { return f === 4 ? 'IPv4' : 'IPv6' }

interface IPAlloc { taken: string[] }

function allocateClusterIP (svc: Service, requested: string, settings: ClusterSettings, used: ReadonlySet<string>, random: () => number, alloc: IPAlloc): string {
  const cidr = parseCIDR(settings.serviceCIDR)
  if (cidr === null) throw internalError(`invalid service CIDR ${settings.serviceCIDR}`)
  const max = clusterIPRangeSize(cidr)
  const base = cidr.network + 1n
  if (requested === '') {
    // `used` holds canonical addresses (as planAllocation returns them)
    const isFree = (i: number): boolean => {
      const s = formatIP(cidr.family, base + BigInt(i))
      return !used.has(s) && !alloc.taken.includes(s)
    }
    const idx = randomScanWithOffset(max, clusterIPBandOffset(cidr), isFree, random)
    if (idx < 0) throw internalError(`failed to allocate a serviceIP: ${ERR_FULL}`)
    const ip = formatIP(cidr.family, base + BigInt(idx))
    alloc.taken.push(ip)
    return ip
  }
  const fail = (detail: string): never => {
    throw invalid('Service', svc.metadata.name, [fieldInvalid('spec.clusterIPs', svc.spec.clusterIPs ?? [requested], `failed to allocate IP ${requested}: ${detail}`)])
  }
  const ip = parseIP(requested)
  if (ip === null) throw internalError(`failed to parse service IP ${JSON.stringify(requested)}`)
  const off = ip.value - base
  const inCidr = ip.family === cidr.family && ip.value >= cidr.network && ip.value <= cidr.network + cidrSize(cidr) - 1n
  if (!inCidr) fail(ERR_NETWORK_MISMATCH)
  if (off < 0n || off >= BigInt(max)) fail(`the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${settings.serviceCIDR}`)
  const canon = formatIP(ip.family, ip.value)
  if (used.has(requested) || used.has(canon) || alloc.taken.includes(canon)) fail(ERR_IP_ALLOCATED)
  alloc.taken.push(canon)
  return canon
}

function sameStrings (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? []
  const y = b ?? []
  return x.length === y.length && x.every((v, i) => v === y[i])
}

function needsClusterIP (svc: Service): boolean { return svc.spec.type !== 'ExternalName' }
function needsNodePort (svc: Service): boolean { return svc.spec.type === 'NodePort' || svc.spec.type === 'LoadBalancer' }
function shouldAllocateNodePorts (svc: Service): boolean {
  if (svc.spec.type === 'NodePort') return true
  if (svc.spec.type === 'LoadBalancer') return svc.spec.allocateLoadBalancerNodePorts !== false
  return false
}
function nonZeroNodePorts (svc: Service): number[] {
  return (svc.spec.ports ?? []).map(p => p.nodePort ?? 0).filter(n => n !== 0)
}

/** patchAllocatedValues: refill what a PUT omitted from the stored object. */
function patchAllocatedValues (svc: Service, old: Service): void {
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if ((svc.spec.clusterIP ?? '') === '' && old.spec.clusterIP !== undefined) svc.spec.clusterIP = old.spec.clusterIP
    if ((svc.spec.clusterIPs?.length ?? 0) === 0 && (old.spec.clusterIPs?.length ?? 0) > 0) svc.spec.clusterIPs = [...old.spec.clusterIPs!]
  }
  if (needsNodePort(old) && needsNodePort(svc)) {
    const newUsed = new Set(nonZeroNodePorts(svc))
    const used = new Set(nonZeroNodePorts(old).filter(n => newUsed.has(n)))
    const byName = new Map<string, number>()
    for (const p of old.spec.ports ?? []) byName.set(p.name ?? '', p.nodePort ?? 0)
    for (const p of svc.spec.ports ?? []) {
      if ((p.nodePort ?? 0) === 0) {
        const v = byName.get(p.name ?? '') ?? 0
        if (!used.has(v) && v !== 0) p.nodePort = v
      }
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(svc) && (svc.spec.healthCheckNodePort ?? 0) === 0 && old.spec.healthCheckNodePort !== undefined) {
    svc.spec.healthCheckNodePort = old.spec.healthCheckNodePort
  }
}

/** normalizeClusterIPs: keep clusterIP and clusterIPs in step. */
function normalizeClusterIPs (svc: Service, old: Service | undefined): void {
  const spec = svc.spec
  const cip = spec.clusterIP ?? ''
  if (old === undefined) {
    if (cip !== '' && (spec.clusterIPs?.length ?? 0) === 0) spec.clusterIPs = [cip]
    return
  }
  if ((old.spec.clusterIPs?.length ?? 0) > 0 && (spec.clusterIPs?.length ?? 0) === 0 && (old.spec.clusterIP ?? '') === cip) {
    spec.clusterIPs = [...old.spec.clusterIPs!]
  }
  if ((old.spec.clusterIP ?? '') !== cip) {
    if ((old.spec.clusterIP ?? '') !== '' && cip === '' && sameStrings(old.spec.clusterIPs, spec.clusterIPs)) delete spec.clusterIPs
    if (sameStrings(old.spec.clusterIPs, spec.clusterIPs)) spec.clusterIPs = [cip]
  }
}

/** initIPFamilyFields for a single-family cluster (the family of the service CIDR). */
function initIPFamilyFields (svc: Service, old: Service | undefined, settings: ClusterSettings): void {
  const spec = svc.spec
  if (spec.type === 'ExternalName') return
  const errs0 = validateServiceClusterIPsRelatedFields(svc)
  if (errs0.length > 0) throw invalid('Service', svc.metadata.name, errs0)
  const cidr = parseCIDR(settings.serviceCIDR)
  const defFamily = familyName(cidr?.family ?? 4)
  const other = defFamily === 'IPv4' ? 'IPv6' : 'IPv4'

  if (old !== undefined) {
    if (spec.ipFamilyPolicy === 'SingleStack') {
      if (sameStrings(old.spec.clusterIPs, spec.clusterIPs) && (spec.clusterIPs?.length ?? 0) > 1) spec.clusterIPs = spec.clusterIPs!.slice(0, 1)
      if (sameStrings(old.spec.ipFamilies, spec.ipFamilies) && (spec.ipFamilies?.length ?? 0) > 1) spec.ipFamilies = spec.ipFamilies!.slice(0, 1)
    } else {
      if ((spec.clusterIPs?.length ?? 0) === 0 && old.spec.clusterIPs !== undefined) spec.clusterIPs = [...old.spec.clusterIPs]
      if ((spec.ipFamilies?.length ?? 0) === 0 && old.spec.ipFamilies !== undefined) spec.ipFamilies = [...old.spec.ipFamilies]
    }
  }

  if (isHeadless(svc) && Object.keys(spec.selector ?? {}).length === 0) {
    if ((spec.ipFamilies?.length ?? 0) === 0) spec.ipFamilies = [defFamily]
    if (spec.ipFamilyPolicy === undefined) spec.ipFamilyPolicy = 'RequireDualStack'
    if (spec.ipFamilyPolicy !== 'SingleStack' && spec.ipFamilies!.length === 1) {
      spec.ipFamilies!.push(spec.ipFamilies![0] === 'IPv4' ? 'IPv6' : 'IPv4')
    }
    return
  }

  const errs: FieldError[] = []
  const families = [...(spec.ipFamilies ?? [])]
  ;(spec.clusterIPs ?? []).some((ip, i) => {
    if (ip === 'None') return true
    const fam = familyName(parseIP(ip)!.family)
    if (i >= families.length) families.push(fam)
    return false
  })
  spec.ipFamilies = families
  if (spec.ipFamilyPolicy === undefined) {
    spec.ipFamilyPolicy = families.length === 2 ? 'RequireDualStack' : 'SingleStack'
  }
  if (spec.ipFamilyPolicy === 'SingleStack') {
    if ((spec.clusterIPs?.length ?? 0) === 2) errs.push(fieldInvalid('spec.ipFamilyPolicy', 'SingleStack', "must be RequireDualStack or PreferDualStack when multiple 'clusterIPs' are specified"))
    if (families.length === 2) errs.push(fieldInvalid('spec.ipFamilyPolicy', 'SingleStack', "must be RequireDualStack or PreferDualStack when multiple 'ipFamilies' are specified"))
  }
  if (spec.ipFamilyPolicy === 'RequireDualStack') {
    errs.push(fieldInvalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'))
  }
  families.forEach((f, i) => {
    if (f !== defFamily) errs.push(fieldInvalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'))
  })
  if (errs.length > 0) throw invalid('Service', svc.metadata.name, errs)
  if (families.length === 0) spec.ipFamilies = [defFamily]
  // PreferDualStack on a single-family cluster keeps one family
  if (spec.ipFamilies.length > 1 && spec.ipFamilies[1] === other) spec.ipFamilies = spec.ipFamilies.slice(0, 1)
}

/** allocClusterIPs: ExternalName and headless get none. */
function allocClusterIPs (svc: Service, input: AllocationInput, alloc: IPAlloc): void {
  if (svc.spec.type === 'ExternalName' || isHeadless(svc)) return
  const requested = svc.spec.clusterIPs?.[0] ?? ''
  const ip = allocateClusterIP(svc, requested, input.settings, input.usedClusterIPs, input.random, alloc)
  svc.spec.clusterIP = ip
  svc.spec.clusterIPs = [ip]
}

function throwPortInvalid (svc: Service, i: number, np: number, err: string): never {
  throw invalid('Service', svc.metadata.name, [fieldInvalid(`spec.ports[${i}].nodePort`, np, err)])
}

/** initNodePorts (create): one nodePort per service port number, shared by TCP/UDP/SCTP entries. */
function initNodePorts (svc: Service, op: PortOp): void {
  const byPort = new Map<number, number>()
  const ports = svc.spec.ports ?? []
  ports.forEach((sp, i) => {
    const np0 = sp.nodePort ?? 0
    if (np0 === 0 && !shouldAllocateNodePorts(svc)) return
    const allocated = byPort.get(sp.port) ?? 0
    if (allocated === 0) {
      const requested = ports.find(p => p.port === sp.port && (p.nodePort ?? 0) !== 0)?.nodePort ?? 0
      if (requested !== 0) {
        const err = op.allocate(requested)
        if (err !== null) throwPortInvalid(svc, i, requested, err)
        sp.nodePort = requested
        byPort.set(sp.port, requested)
      } else {
        const np = op.allocateNext()
        if (np === null) throw internalError(`failed to allocate a nodePort: ${ERR_FULL}`)
        sp.nodePort = np
        byPort.set(sp.port, np)
      }
    } else if (np0 !== allocated) {
      if (np0 === 0) sp.nodePort = allocated
      else {
        const err = op.allocate(np0)
        if (err !== null) throwPortInvalid(svc, i, np0, err)
      }
    }
  })
}

/** updateNodePorts: every port without a nodePort gets its own; numbers the old object held are kept. */
function updateNodePorts (svc: Service, old: Service, op: PortOp): void {
  const oldNums = nonZeroNodePorts(old)
  const seen: string[] = []
  const allocatedHere = new Set<number>()
  ;(svc.spec.ports ?? []).forEach((sp, i) => {
    const np0 = sp.nodePort ?? 0
    if (np0 === 0 && !shouldAllocateNodePorts(svc)) return
    if (np0 !== 0) {
      if (!oldNums.includes(np0) && !allocatedHere.has(np0)) {
        const err = op.allocate(np0)
        if (err !== null) throwPortInvalid(svc, i, np0, err)
        allocatedHere.add(np0)
      }
    } else {
      const np = op.allocateNext()
      if (np === null) throw internalError(`failed to allocate a nodePort: ${ERR_FULL}`)
      sp.nodePort = np
    }
    const key = `{${sp.protocol} ${sp.nodePort}}`
    if (seen.includes(key)) throw statusError(500, '', `duplicate nodePort: ${key}`)
    seen.push(key)
  })
}

function allocHealthCheckNodePort (svc: Service, op: PortOp): void {
  const hc = svc.spec.healthCheckNodePort ?? 0
  if (hc !== 0) {
    const err = op.allocate(hc)
    if (err !== null) throw internalError(`failed to allocate requested HealthCheck NodePort ${hc}: ${err}`)
  } else {
    const np = op.allocateNext()
    if (np === null) throw internalError(`failed to allocate a HealthCheck NodePort 0: ${ERR_FULL}`)
    svc.spec.healthCheckNodePort = np
  }
}

/** dropTypeDependentFields (PrepareForUpdate): wipe what the new type does not use, if the user left it unchanged. */
function dropTypeDependentFields (svc: Service, old: Service): void {
  const spec = svc.spec
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if (sameStrings(old.spec.clusterIPs, spec.clusterIPs)) {
      delete spec.clusterIP
      delete spec.clusterIPs
    }
    if (sameStrings(old.spec.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies
    if (old.spec.ipFamilyPolicy === spec.ipFamilyPolicy) delete spec.ipFamilyPolicy
  }
  if (needsNodePort(old) && !needsNodePort(svc)) {
    const a = new Set(nonZeroNodePorts(old))
    const b = new Set(nonZeroNodePorts(svc))
    if (a.size === b.size && [...a].every(x => b.has(x))) for (const p of spec.ports ?? []) delete p.nodePort
  }
  if (needsHealthCheck(old) && !needsHealthCheck(svc) && (old.spec.healthCheckNodePort ?? 0) === (spec.healthCheckNodePort ?? 0)) {
    delete spec.healthCheckNodePort
  }
  if (old.spec.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts !== undefined && old.spec.allocateLoadBalancerNodePorts !== undefined &&
      spec.allocateLoadBalancerNodePorts === old.spec.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts
    if (spec.loadBalancerClass === old.spec.loadBalancerClass) delete spec.loadBalancerClass
  }
  const extOld = old.spec.type === 'NodePort' || old.spec.type === 'LoadBalancer' || (old.spec.type === 'ClusterIP' && (old.spec.externalIPs?.length ?? 0) > 0)
  const extNew = spec.type === 'NodePort' || spec.type === 'LoadBalancer' || (spec.type === 'ClusterIP' && (spec.externalIPs?.length ?? 0) > 0)
  if (extOld && !extNew && old.spec.externalTrafficPolicy === spec.externalTrafficPolicy) delete spec.externalTrafficPolicy
  if (spec.type !== 'LoadBalancer') svc.status = { ...(svc.status ?? {}), loadBalancer: {} }
}

/** What a stored service holds in the allocation tables (released on delete). */
export function heldAllocations (svc: Service): { nodePorts: NodePortHold[], clusterIPs: string[] } {
  const nodePorts: NodePortHold[] = []
  if (needsNodePort(svc)) {
    ;(svc.spec.ports ?? []).forEach((p, i) => {
      const np = p.nodePort ?? 0
      if (np === 0) return
      const h = nodePorts.find(x => x.port === np)
      if (h === undefined) nodePorts.push({ port: np, protocols: [p.protocol], field: `spec.ports[${i}].nodePort` })
      else if (!h.protocols.includes(p.protocol)) h.protocols.push(p.protocol)
    })
  }
  if (needsHealthCheck(svc) && (svc.spec.healthCheckNodePort ?? 0) !== 0 && !nodePorts.some(x => x.port === svc.spec.healthCheckNodePort)) {
    nodePorts.push({ port: svc.spec.healthCheckNodePort!, protocols: ['TCP'], field: 'spec.healthCheckNodePort' })
  }
  const clusterIPs = svc.spec.type === 'ExternalName' || isHeadless(svc) ? [] : (svc.spec.clusterIPs ?? []).filter(ip => ip !== '' && ip !== 'None')
  return { nodePorts, clusterIPs }
}

/**
 * Plans the allocations of a create (no `old`) or replace. Throws StatusError with the API
 * server's verbatim texts: 422 for requested values, 500 for exhausted ranges.
 */
export function planAllocation (input: AllocationInput): AllocationPlan {
  const svc = structuredClone(input.svc)
  svc.spec.ports ??= []
  const old = input.old
  const op = new PortOp(input.settings, input.usedNodePorts, input.random)
  const ipAlloc: IPAlloc = { taken: [] }

  if (old === undefined) {
    normalizeClusterIPs(svc, undefined)
    initIPFamilyFields(svc, undefined, input.settings)
    allocClusterIPs(svc, input, ipAlloc)
    if (needsNodePort(svc)) initNodePorts(svc, op)
    if (needsHealthCheck(svc)) allocHealthCheckNodePort(svc, op)
  } else {
    patchAllocatedValues(svc, old)
    normalizeClusterIPs(svc, old)
    initIPFamilyFields(svc, old, input.settings)
    // ClusterIPs: only ExternalName → other types allocates (single-stack cluster)
    if (old.spec.type === 'ExternalName' && svc.spec.type !== 'ExternalName') allocClusterIPs(svc, input, ipAlloc)
    if (needsNodePort(svc)) updateNodePorts(svc, old, op)
    if (!needsHealthCheck(old) && needsHealthCheck(svc)) allocHealthCheckNodePort(svc, op)
    dropTypeDependentFields(svc, old)
  }

  const held = heldAllocations(svc)
  const before = old === undefined ? { nodePorts: [], clusterIPs: [] } : heldAllocations(old)
  const nowPorts = new Set(held.nodePorts.map(h => h.port))
  return {
    svc,
    nodePorts: held.nodePorts,
    clusterIPs: held.clusterIPs,
    allocatedNodePorts: [...op.taken].filter(p => nowPorts.has(p)),
    allocatedClusterIPs: ipAlloc.taken,
    releasedNodePorts: before.nodePorts.map(h => h.port).filter(p => !nowPorts.has(p)),
    releasedClusterIPs: before.clusterIPs.filter(ip => !held.clusterIPs.includes(ip))
  }
}

