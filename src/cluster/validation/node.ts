/** Node validation: name, addresses (InternalIP required), podCIDR inside the cluster CIDR. */
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from '../errors.ts'
import { cidrContains, parseCIDR } from '../ip.ts'
import type { ClusterSettings, Node } from '../model.ts'
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.ts'
import { validateCIDR, validateIP } from './service.ts'

const ADDRESS_TYPES = ['ExternalDNS', 'ExternalIP', 'Hostname', 'InternalDNS', 'InternalIP']
export const POD_CIDR_CHANGE_MESSAGE = 'node updates may not change podCIDR except from "" to valid'

export function validateNode (node: Node, settings: ClusterSettings): FieldError[] {
  const errs = validateObjectMeta(node.metadata, false)
  const addrs = node.status?.addresses ?? []
  addrs.forEach((a, i) => {
    const f = `status.addresses[${i}]`
    if (!ADDRESS_TYPES.includes(a.type)) errs.push(fieldNotSupported(`${f}.type`, a.type, ADDRESS_TYPES))
    if (a.address === undefined || a.address === '') errs.push(fieldRequired(`${f}.address`))
    else if (a.type === 'InternalIP' || a.type === 'ExternalIP') errs.push(...validateIP(`${f}.address`, a.address))
  })
  if (!addrs.some(a => a.type === 'InternalIP')) errs.push(fieldRequired('status.addresses', 'an InternalIP address is required'))

  const cidrs = node.spec?.podCIDRs ?? (node.spec?.podCIDR !== undefined && node.spec.podCIDR !== '' ? [node.spec.podCIDR] : [])
  let bad = false
  cidrs.forEach((c, i) => {
    const e = validateCIDR(`spec.podCIDRs[${i}]`, c)
    if (e.length > 0) bad = true
    errs.push(...e)
  })
  if (!bad && cidrs.length > 1) {
    const fams = cidrs.map(c => parseCIDR(c)!.family)
    if (cidrs.length > 2 || fams[0] === fams[1]) errs.push(fieldInvalid('spec.podCIDRs', cidrs, 'may specify no more than one CIDR for each IP family'))
  }
  if (!bad && node.spec?.podCIDR !== undefined && node.spec.podCIDR !== '' && cidrs.length > 0 && cidrs[0] !== node.spec.podCIDR) {
    errs.push(fieldInvalid('spec.podCIDR', node.spec.podCIDR, 'must match `podCIDRs[0]`'))
  }
  const cluster = parseCIDR(settings.clusterCIDR)
  if (!bad && cluster !== null) {
    cidrs.forEach((s, i) => {
      const c = parseCIDR(s)!
      if (c.family !== cluster.family) return
      if (c.network !== c.ip) {
        errs.push(fieldInvalid(`spec.podCIDRs[${i}]`, s, 'must be a network address (no host bits set)'))
      } else if (c.prefix < cluster.prefix || !cidrContains(cluster, { family: c.family, value: c.network })) {
        errs.push(fieldInvalid(`spec.podCIDRs[${i}]`, s, `must be inside the cluster CIDR ${settings.clusterCIDR}`))
      }
    })
  }
  return errs
}

export function validateNodeUpdate (oldNode: Node, newNode: Node, settings: ClusterSettings): FieldError[] {
  const errs = validateObjectMetaUpdate(newNode.metadata, oldNode.metadata)
  const oldC = oldNode.spec?.podCIDRs ?? []
  const newC = newNode.spec?.podCIDRs ?? []
  if (oldC.length > 0) {
    if (oldC.length > newC.length) errs.push(fieldForbidden('spec.podCIDRs', POD_CIDR_CHANGE_MESSAGE))
    else oldC.forEach((v, i) => { if (v !== newC[i]) errs.push(fieldForbidden('spec.podCIDRs', POD_CIDR_CHANGE_MESSAGE)) })
  }
  for (const e of validateNode(newNode, settings)) {
    if (!errs.some(x => x.field === e.field && x.detail === e.detail && x.value === e.value)) errs.push(e)
  }
  return errs
}
