/**
 * ValidateService / ValidateServiceUpdate (pkg/apis/core/validation), in the server's order and
 * with its message texts. Runs on the defaulted, allocated object (see allocation.ts for order).
 */
import { externallyAccessible, isHeadless, needsHealthCheck, MAX_CLIENT_IP_AFFINITY_SECONDS } from '../defaults.ts'
import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from '../errors.ts'
import { isLinkLocalMulticast, isLinkLocalUnicast, isLoopback, isUnspecified, parseCIDR, parseIP } from '../ip.ts'
import { validateLabels } from '../labels.ts'
import type { ClusterSettings, Service, ServicePort } from '../model.ts'
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortName, isValidPortNum } from '../names.ts'
import { nameIsDNS1035Label, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.ts'

export const VALID_IP_MESSAGE = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'
export const VALID_CIDR_MESSAGE = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'

const PROTOCOLS = ['SCTP', 'TCP', 'UDP']
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']
const AFFINITIES = ['ClientIP', 'None']
const TRAFFIC_POLICIES = ['Cluster', 'Local']
const IP_FAMILIES = ['IPv4', 'IPv6']
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack']
const TRAFFIC_DISTRIBUTIONS = ['PreferClose', 'PreferSameNode', 'PreferSameZone']
const KUBELET_PORT = 10250

/** validation.IsValidIP: field error when `value` is not an IP. */
export function validateIP (field: string, value: string): FieldError[] {
  return parseIP(value) === null ? [fieldInvalid(field, value, VALID_IP_MESSAGE)] : []
}

export function validateCIDR (field: string, value: string): FieldError[] {
  return parseCIDR(value) === null ? [fieldInvalid(field, value, VALID_CIDR_MESSAGE)] : []
}

/** ValidateNonSpecialIP (externalIPs). */
export function validateNonSpecialIP (field: string, value: string): FieldError[] {
  const ip = parseIP(value)
  if (ip === null) return [fieldInvalid(field, value, 'must be a valid IP address')]
  const errs: FieldError[] = []
  if (isUnspecified(ip)) errs.push(fieldInvalid(field, value, `may not be unspecified (${value})`))
  if (isLoopback(ip)) errs.push(fieldInvalid(field, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'))
  if (isLinkLocalUnicast(ip)) errs.push(fieldInvalid(field, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'))
  if (isLinkLocalMulticast(ip)) errs.push(fieldInvalid(field, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'))
  return errs
}

/** ValidatePortNumOrName (targetPort, intOrString). */
export function validatePortNumOrName (field: string, v: number | string): FieldError[] {
  const errs: FieldError[] = []
  if (typeof v === 'number') for (const m of isValidPortNum(v)) errs.push(fieldInvalid(field, v, m))
  else for (const m of isValidPortName(v)) errs.push(fieldInvalid(field, v, m))
  return errs
}

function validateQualifiedName (field: string, v: string): FieldError[] {
  return isQualifiedName(v).map(m => fieldInvalid(field, v, m))
}

function validateServicePort (sp: ServicePort, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = []
  const name = sp.name ?? ''
  if (requireName && name === '') {
    errs.push(fieldRequired(`${path}.name`))
  } else if (name !== '') {
    for (const m of isDNS1123Label(name)) errs.push(fieldInvalid(`${path}.name`, name, m))
    if (names.has(name)) errs.push(fieldDuplicate(`${path}.name`, name))
    else names.add(name)
  }
  for (const m of isValidPortNum(sp.port)) errs.push(fieldInvalid(`${path}.port`, sp.port, m))
  const proto = (sp.protocol ?? '') as string
  if (proto === '') errs.push(fieldRequired(`${path}.protocol`))
  else if (!PROTOCOLS.includes(proto)) errs.push(fieldNotSupported(`${path}.protocol`, proto, PROTOCOLS))
  errs.push(...validatePortNumOrName(`${path}.targetPort`, sp.targetPort))
  if (sp.appProtocol !== undefined) errs.push(...validateQualifiedName(`${path}.appProtocol`, sp.appProtocol))
  return errs
}

/**
 * ValidateServiceClusterIPsRelatedFields: clusterIP/clusterIPs sync, ipFamilies, ipFamilyPolicy
 * and IP syntax. Also run at allocation time, before anything is allocated.
 */
export function validateServiceClusterIPsRelatedFields (svc: Service): FieldError[] {
  const errs: FieldError[] = []
  const spec = svc.spec
  const clusterIP = spec.clusterIP ?? ''
  const ips = spec.clusterIPs ?? []
  if (clusterIP !== '') {
    if (ips.length === 0) errs.push(fieldRequired('spec.clusterIPs'))
    else if (ips[0] !== clusterIP) errs.push(fieldInvalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'))
  } else if (ips.length !== 0) {
    errs.push(fieldInvalid('spec.clusterIPs', ips, 'must be empty when `clusterIP` is not specified'))
  }
  const seen = new Set<string>()
  ;(spec.ipFamilies ?? []).forEach((f, i) => {
    if (!IP_FAMILIES.includes(f)) errs.push(fieldNotSupported(`spec.ipFamilies[${i}]`, f, IP_FAMILIES))
    if (seen.has(f)) errs.push(fieldDuplicate(`spec.ipFamilies[${i}]`, f))
    seen.add(f)
  })
  if (spec.ipFamilyPolicy !== undefined && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) {
    errs.push(fieldNotSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES))
  }
  let hasInvalidIPs = false
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        hasInvalidIPs = true
        errs.push(fieldInvalid('spec.clusterIPs', ips, "'None' must be the first and only value"))
      }
      return
    }
    const e = validateIP(`spec.clusterIPs[${i}]`, ip)
    if (e.length > 0) hasInvalidIPs = true
    errs.push(...e)
  })
  if (ips.length > 2) errs.push(fieldInvalid('spec.clusterIPs', ips, 'may only hold up to 2 values'))
  if (hasInvalidIPs) return errs
  if (ips.length > 1) {
    const fams = ips.map(ip => parseIP(ip)?.family)
    const dual = fams.includes(4) && fams.includes(6)
    if (!dual) errs.push(fieldInvalid('spec.clusterIPs', ips, 'may specify no more than one IP for each IP family'))
  }
  const families = spec.ipFamilies ?? []
  if (!isHeadless(svc) && ips.length > 0 && families.length > 0) {
    ips.forEach((ip, i) => {
      if (i > families.length - 1) return
      const fam = parseIP(ip)?.family
      if (families[i] === 'IPv4' && fam === 6) errs.push(fieldInvalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``))
      if (families[i] === 'IPv6' && fam !== 6) errs.push(fieldInvalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``))
    })
  }
  return errs
}

function validateLoadBalancerClass (oldSvc: Service | undefined, svc: Service): FieldError[] {
  const errs: FieldError[] = []
  const cls = svc.spec.loadBalancerClass
  if (oldSvc !== undefined && oldSvc.spec.type === 'LoadBalancer' && svc.spec.type === 'LoadBalancer' &&
    oldSvc.spec.loadBalancerClass !== cls) {
    errs.push(fieldInvalid('spec.loadBalancerClass', cls ?? null, 'may not change once set'))
  }
  if (svc.spec.type !== 'LoadBalancer' && cls !== undefined) {
    errs.push(fieldForbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"))
  }
  if (cls !== undefined) errs.push(...validateQualifiedName('spec.loadBalancerClass', cls))
  return errs
}

function validateExternalTrafficPolicy (svc: Service): FieldError[] {
  const errs: FieldError[] = []
  const etp = (svc.spec.externalTrafficPolicy ?? '') as string
  if (!externallyAccessible(svc)) {
    if (etp !== '') errs.push(fieldInvalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'))
  } else if (etp === '') {
    errs.push(fieldRequired('spec.externalTrafficPolicy'))
  } else if (!TRAFFIC_POLICIES.includes(etp)) {
    errs.push(fieldNotSupported('spec.externalTrafficPolicy', etp, TRAFFIC_POLICIES))
  }
  const hc = svc.spec.healthCheckNodePort ?? 0
  if (!needsHealthCheck(svc)) {
    if (hc !== 0) {
      errs.push(fieldInvalid('spec.healthCheckNodePort', hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
    }
  } else if (hc === 0) {
    errs.push(fieldRequired('spec.healthCheckNodePort'))
  } else {
    for (const m of isValidPortNum(hc)) errs.push(fieldInvalid('spec.healthCheckNodePort', hc, m))
  }
  return errs
}

/** ValidateService. `settings` is accepted for symmetry; the real validation is cluster-agnostic. */
export function validateService (svc: Service, _settings?: ClusterSettings): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, true, nameIsDNS1035Label)
  const spec = svc.spec
  const ports = spec.ports ?? []
  const headless = isHeadless(svc)
  const type = (spec.type ?? '') as string

  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(fieldRequired('spec.ports'))
  switch (type) {
    case 'LoadBalancer':
      ports.forEach((p, i) => {
        if (p.port === KUBELET_PORT) errs.push(fieldInvalid(`spec.ports[${i}]`, p.port, `may not expose port ${KUBELET_PORT} externally since it is used by kubelet`))
      })
      if (headless) errs.push(fieldInvalid('spec.clusterIPs[0]', spec.clusterIPs?.[0] ?? 'None', "may not be set to 'None' for LoadBalancer services"))
      break
    case 'NodePort':
      if (headless) errs.push(fieldInvalid('spec.clusterIPs[0]', spec.clusterIPs?.[0] ?? 'None', "may not be set to 'None' for NodePort services"))
      break
    case 'ExternalName': {
      if ((spec.clusterIPs?.length ?? 0) > 0) errs.push(fieldForbidden('spec.clusterIPs', 'may not be set for ExternalName services'))
      if ((spec.ipFamilies?.length ?? 0) > 0) errs.push(fieldForbidden('spec.ipFamilies', 'may not be set for ExternalName services'))
      if (spec.ipFamilyPolicy !== undefined) errs.push(fieldForbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'))
      const cname = (spec.externalName ?? '').replace(/\.$/, '')
      if (cname.length > 0) for (const m of isDNS1123Subdomain(cname)) errs.push(fieldInvalid('spec.externalName', cname, m))
      else errs.push(fieldRequired('spec.externalName'))
      break
    }
  }

  const names = new Set<string>()
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, `spec.ports[${i}]`)))

  if (spec.selector !== undefined && spec.selector !== null) errs.push(...validateLabels(spec.selector, 'spec.selector'))

  const aff = (spec.sessionAffinity ?? '') as string
  if (aff === '') errs.push(fieldRequired('spec.sessionAffinity'))
  else if (!AFFINITIES.includes(aff)) errs.push(fieldNotSupported('spec.sessionAffinity', aff, AFFINITIES))
  if (aff === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig
    const when = 'when session affinity type is ClientIP'
    if (cfg === undefined || cfg === null) errs.push(fieldRequired('spec.sessionAffinityConfig', when))
    else if (cfg.clientIP === undefined || cfg.clientIP === null) errs.push(fieldRequired('spec.sessionAffinityConfig.clientIP', when))
    else if (cfg.clientIP.timeoutSeconds === undefined || cfg.clientIP.timeoutSeconds === null) errs.push(fieldRequired('spec.sessionAffinityConfig.clientIP.timeoutSeconds', when))
    else {
      const t = cfg.clientIP.timeoutSeconds
      if (t <= 0 || t > MAX_CLIENT_IP_AFFINITY_SECONDS) {
        errs.push(fieldInvalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`))
      }
    }
  } else if (aff === 'None' && spec.sessionAffinityConfig !== undefined && spec.sessionAffinityConfig !== null) {
    errs.push(fieldForbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'))
  }

  errs.push(...validateServiceClusterIPsRelatedFields(svc))

  ;(spec.externalIPs ?? []).forEach((ip, i) => {
    const f = `spec.externalIPs[${i}]`
    const e = validateIP(f, ip)
    errs.push(...(e.length > 0 ? e : validateNonSpecialIP(f, ip)))
  })

  if (type === '') errs.push(fieldRequired('spec.type'))
  else if (!SERVICE_TYPES.includes(type)) errs.push(fieldNotSupported('spec.type', type, SERVICE_TYPES))

  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if ((p.nodePort ?? 0) !== 0) errs.push(fieldForbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"))
    })
  }

  const nodePortKeys = new Set<string>()
  ports.forEach((p, i) => {
    const np = p.nodePort ?? 0
    if (np === 0) return
    const key = `${p.protocol}/${np}`
    if (nodePortKeys.has(key)) errs.push(fieldDuplicate(`spec.ports[${i}].nodePort`, np))
    nodePortKeys.add(key)
  })

  const portKeys = new Set<string>()
  ports.forEach((p, i) => {
    const key = `${p.protocol}/${p.port}`
    if (portKeys.has(key)) {
      // the key is a core.ServicePort holding only Protocol and Port, printed as JSON (k8s ≥ 1.34)
      errs.push(fieldDuplicate(`spec.ports[${i}]`, { Name: '', Protocol: p.protocol, AppProtocol: null, Port: p.port, TargetPort: 0, NodePort: 0 }))
    }
    portKeys.add(key)
  })

  const ranges = spec.loadBalancerSourceRanges ?? []
  if (ranges.length > 0) {
    if (type !== 'LoadBalancer') errs.push(fieldForbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"))
    ranges.forEach((r, i) => errs.push(...validateCIDR(`spec.LoadBalancerSourceRanges[${i}]`, String(r).trim())))
  }

  if (spec.allocateLoadBalancerNodePorts !== undefined && type !== 'LoadBalancer') {
    errs.push(fieldForbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"))
  }
  if (type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) {
    errs.push(fieldRequired('allocateLoadBalancerNodePorts'))
  }

  errs.push(...validateLoadBalancerClass(undefined, svc))
  errs.push(...validateExternalTrafficPolicy(svc))

  const itp = spec.internalTrafficPolicy
  if (itp === undefined) {
    if (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP') errs.push(fieldRequired('spec.internalTrafficPolicy'))
  } else if (!TRAFFIC_POLICIES.includes(itp)) {
    errs.push(fieldNotSupported('spec.internalTrafficPolicy', itp, TRAFFIC_POLICIES))
  }

  if (spec.trafficDistribution !== undefined && !TRAFFIC_DISTRIBUTIONS.includes(spec.trafficDistribution)) {
    errs.push(fieldNotSupported('spec.trafficDistribution', spec.trafficDistribution, TRAFFIC_DISTRIBUTIONS))
  }

  if (spec.loadBalancerIP !== undefined && spec.loadBalancerIP !== '') {
    if (type !== 'LoadBalancer') errs.push(fieldForbidden('spec.loadBalancerIP', "may only be used when `type` is 'LoadBalancer'"))
    else errs.push(...validateIP('spec.loadBalancerIP', spec.loadBalancerIP))
  }

  ;(svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    const f = `status.loadBalancer.ingress[${i}]`
    if (ing.ip !== undefined && ing.ip !== '') errs.push(...validateIP(`${f}.ip`, ing.ip))
    if (ing.hostname !== undefined && ing.hostname !== '') {
      for (const m of isDNS1123Subdomain(ing.hostname)) errs.push(fieldInvalid(`${f}.hostname`, ing.hostname, m))
      if (parseIP(ing.hostname) !== null) errs.push(fieldInvalid(`${f}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'))
    }
    if (ing.ipMode !== undefined) {
      if (ing.ip === undefined || ing.ip === '') errs.push(fieldForbidden(`${f}.ipMode`, 'may not be specified when `ip` is not'))
      else if (!['Proxy', 'VIP'].includes(ing.ipMode)) errs.push(fieldNotSupported(`${f}.ipMode`, ing.ipMode, ['Proxy', 'VIP']))
    }
  })

  return errs
}

function validateUpgradeDowngradeClusterIPs (oldSvc: Service, svc: Service): FieldError[] {
  const errs: FieldError[] = []
  if (svc.spec.type === 'ExternalName' || oldSvc.spec.type === 'ExternalName') return errs
  if (isHeadless(oldSvc) && isHeadless(svc)) return errs
  const oldIPs = oldSvc.spec.clusterIPs ?? []
  const ips = svc.spec.clusterIPs ?? []
  if (oldIPs.length === ips.length) {
    oldIPs.forEach((ip, i) => {
      if (ip !== ips[i]) errs.push(fieldInvalid(`spec.clusterIPs[${i}]`, ips, 'may not change once set'))
    })
  } else if (oldIPs.length > ips.length) {
    if (ips.length === 0) errs.push(fieldInvalid('spec.clusterIPs[0]', ips, 'primary clusterIP can not be unset'))
    if (oldIPs.length > 0 && ips.length > 0 && ips[0] !== oldIPs[0]) errs.push(fieldInvalid('spec.clusterIPs[0]', ips, 'may not change once set'))
    if (ips.length === 1 && svc.spec.ipFamilyPolicy !== 'SingleStack') {
      errs.push(fieldInvalid('spec.clusterIPs[0]', ips, "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP"))
    }
  } else if (oldIPs.length > 0 && ips[0] !== oldIPs[0]) {
    errs.push(fieldInvalid('spec.clusterIPs[0]', ips, 'may not change once set'))
  }
  return errs
}

function validateUpgradeDowngradeIPFamilies (oldSvc: Service, svc: Service): FieldError[] {
  const errs: FieldError[] = []
  if (svc.spec.type === 'ExternalName' || oldSvc.spec.type === 'ExternalName') return errs
  if (isHeadless(oldSvc) && isHeadless(svc)) return errs
  const oldF = oldSvc.spec.ipFamilies ?? []
  const f = svc.spec.ipFamilies ?? []
  if (oldF.length === f.length) {
    oldF.forEach((x, i) => { if (x !== f[i]) errs.push(fieldInvalid(`spec.ipFamilies[${i}]`, f, 'may not change once set')) })
  } else if (oldF.length > f.length) {
    if (f.length === 0) errs.push(fieldInvalid('spec.ipFamilies[0]', f, 'primary ipFamily can not be unset'))
    else if (f[0] !== oldF[0]) errs.push(fieldInvalid('spec.ipFamilies[0]', f, 'may not change once set'))
  } else if (oldF.length > 0 && f[0] !== oldF[0]) {
    errs.push(fieldInvalid('spec.ipFamilies[0]', f, 'may not change once set'))
  }
  return errs
}

/** ValidateServiceUpdate: update-only rules, then the full ValidateService. */
export function validateServiceUpdate (oldSvc: Service, newSvc: Service, settings?: ClusterSettings): FieldError[] {
  const errs = validateObjectMetaUpdate(newSvc.metadata, oldSvc.metadata)
  errs.push(...validateUpgradeDowngradeClusterIPs(oldSvc, newSvc))
  errs.push(...validateUpgradeDowngradeIPFamilies(oldSvc, newSvc))
  errs.push(...validateLoadBalancerClass(oldSvc, newSvc).filter(e => e.detail === 'may not change once set'))
  if (needsHealthCheck(oldSvc) && needsHealthCheck(newSvc) && (oldSvc.spec.healthCheckNodePort ?? 0) !== (newSvc.spec.healthCheckNodePort ?? 0)) {
    errs.push(fieldForbidden('spec.healthCheckNodePort', 'field is immutable'))
  }
  // ValidateService without re-validating metadata labels twice
  const full = validateService(newSvc, settings)
  for (const e of full) {
    if (!errs.some(x => x.field === e.field && x.type === e.type && x.detail === e.detail && x.value === e.value)) errs.push(e)
  }
  return errs
}
