/**
 * Cluster settings: the flags of kube-apiserver (--service-cluster-ip-range,
 * --service-node-port-range), kube-controller-manager (--cluster-cidr) and kube-proxy.
 */
import { fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from '../errors.ts'
import { cidrsOverlap, cidrToString, parseCIDR } from '../ip.ts'
import type { ClusterSettings } from '../model.ts'
import { isDNS1123Label } from '../names.ts'
import { VALID_CIDR_MESSAGE } from './service.ts'

const PROFILES = ['current', 'legacy']

function canonicalCIDR (field: string, value: string | undefined): FieldError[] {
  if (value === undefined || value === '') return [fieldRequired(field)]
  const c = parseCIDR(value)
  if (c === null) return [fieldInvalid(field, value, VALID_CIDR_MESSAGE)]
  const canon = cidrToString(c)
  if (canon !== value) return [fieldInvalid(field, value, `must be in canonical form (${JSON.stringify(canon)})`)]
  return []
}

export function validateClusterSettings (s: ClusterSettings): FieldError[] {
  const errs: FieldError[] = []
  if (s.name === undefined || s.name === '') errs.push(fieldRequired('name'))
  else for (const m of isDNS1123Label(s.name)) errs.push(fieldInvalid('name', s.name, m))

  const svcErr = canonicalCIDR('serviceCIDR', s.serviceCIDR)
  errs.push(...svcErr)
  if (svcErr.length === 0) {
    const c = parseCIDR(s.serviceCIDR)!
    const hostBits = (c.family === 4 ? 32 : 128) - c.prefix
    if (c.family === 4 && c.prefix < 12) {
      errs.push(fieldInvalid('serviceCIDR', s.serviceCIDR, 'specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12'))
    } else if (c.family === 6 && c.prefix < 108) {
      errs.push(fieldInvalid('serviceCIDR', s.serviceCIDR, 'specified --service-cluster-ip-range is too large; for 128-bit addresses, the mask must be >= 108'))
    } else if (hostBits < 3) {
      errs.push(fieldInvalid('serviceCIDR', s.serviceCIDR, 'must hold at least 8 addresses'))
    }
  }
  const cluErr = canonicalCIDR('clusterCIDR', s.clusterCIDR)
  errs.push(...cluErr)
  if (cluErr.length === 0) {
    const c = parseCIDR(s.clusterCIDR)!
    const nodeMask = c.family === 4 ? 24 : 64
    if (c.prefix > nodeMask) {
      errs.push(fieldInvalid('clusterCIDR', s.clusterCIDR, `must be large enough for one node podCIDR of /${nodeMask} (--node-cidr-mask-size)`))
    }
  }
  if (svcErr.length === 0 && cluErr.length === 0) {
    const a = parseCIDR(s.serviceCIDR)!
    const b = parseCIDR(s.clusterCIDR)!
    if (cidrsOverlap(a, b)) errs.push(fieldInvalid('clusterCIDR', s.clusterCIDR, `must not overlap the service CIDR ${s.serviceCIDR}`))
  }

  const r = s.nodePortRange
  if (r === undefined || r === null) errs.push(fieldRequired('nodePortRange'))
  else {
    const text = `${r.min}-${r.max}`
    if (!Number.isInteger(r.min) || !Number.isInteger(r.max) || r.min < 1 || r.max > 65535) {
      errs.push(fieldInvalid('nodePortRange', text, 'ports must be between 1 and 65535, inclusive'))
    } else if (r.min > r.max) {
      errs.push(fieldInvalid('nodePortRange', text, 'the first port must not be greater than the last'))
    }
  }

  const kp = s.kubeProxy
  if (kp === undefined || kp === null) errs.push(fieldRequired('kubeProxy'))
  else {
    if (!PROFILES.includes(kp.profile)) errs.push(fieldNotSupported('kubeProxy.profile', kp.profile, PROFILES))
    if (!Number.isInteger(kp.masqueradeBit) || kp.masqueradeBit < 0 || kp.masqueradeBit > 31) {
      errs.push(fieldInvalid('kubeProxy.masqueradeBit', kp.masqueradeBit, 'must be within the range [0, 31]'))
    }
    const addrs = kp.nodePortAddresses ?? []
    addrs.forEach((a, i) => {
      if (a === 'primary') {
        if (addrs.length > 1) errs.push(fieldInvalid(`kubeProxy.nodePortAddresses[${i}]`, a, "can't use both 'primary' and CIDRs"))
        return
      }
      if (parseCIDR(a) === null) errs.push(fieldInvalid(`kubeProxy.nodePortAddresses[${i}]`, a, 'must be a valid CIDR'))
    })
  }
  return errs
}
