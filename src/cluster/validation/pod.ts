/** Pod validation: the networking subset of ValidatePodCreate plus the simulator's podCIDR rule. */
import { fieldDuplicate, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from '../errors.ts'
import { cidrContains, parseCIDR, parseIP } from '../ip.ts'
import type { ClusterSettings, Node, Pod } from '../model.ts'
import { isDNS1123Label, isDNS1123Subdomain, isValidPortName, isValidPortNum } from '../names.ts'
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.ts'
import { validateIP } from './service.ts'

const PROTOCOLS = ['SCTP', 'TCP', 'UDP']
const PHASES = ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown']
const CONDITION_STATUSES = ['False', 'True', 'Unknown']

/** The node's InternalIP (first one), if any. */
export function nodeInternalIP (node: Node): string | undefined {
  return node.status?.addresses?.find(a => a.type === 'InternalIP')?.address
}

/**
 * validatePod. When `node` (the pod's node) is given, the pod IP must lie inside the node's
 * podCIDR, or equal a node address for hostNetwork pods; without a node it must lie inside the
 * cluster CIDR (non-hostNetwork pods).
 */
export function validatePod (pod: Pod, settings: ClusterSettings, node?: Node): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, true)
  const spec = pod.spec
  const containers = spec?.containers ?? []
  if (containers.length === 0) errs.push(fieldRequired('spec.containers'))
  const cnames = new Set<string>()
  containers.forEach((c, i) => {
    const path = `spec.containers[${i}]`
    const name = c.name ?? ''
    if (name === '') errs.push(fieldRequired(`${path}.name`))
    else {
      for (const m of isDNS1123Label(name)) errs.push(fieldInvalid(`${path}.name`, name, m))
      if (cnames.has(name)) errs.push(fieldDuplicate(`${path}.name`, name))
      cnames.add(name)
    }
    const pnames = new Set<string>()
    ;(c.ports ?? []).forEach((p, j) => {
      const pp = `${path}.ports[${j}]`
      const pn = p.name ?? ''
      if (pn !== '') {
        const msgs = isValidPortName(pn)
        if (msgs.length > 0) for (const m of msgs) errs.push(fieldInvalid(`${pp}.name`, pn, m))
        else if (pnames.has(pn)) errs.push(fieldDuplicate(`${pp}.name`, pn))
        else pnames.add(pn)
      }
      if (p.containerPort === 0 || p.containerPort === undefined) errs.push(fieldRequired(`${pp}.containerPort`))
      else for (const m of isValidPortNum(p.containerPort)) errs.push(fieldInvalid(`${pp}.containerPort`, p.containerPort, m))
      if (p.hostPort !== undefined && p.hostPort !== 0) {
        for (const m of isValidPortNum(p.hostPort)) errs.push(fieldInvalid(`${pp}.hostPort`, p.hostPort, m))
        if (spec.hostNetwork === true && p.hostPort !== p.containerPort) {
          errs.push(fieldInvalid(`${pp}.hostPort`, p.hostPort, 'must match `containerPort` when `hostNetwork` is true'))
        }
      }
      const proto = (p.protocol ?? '') as string
      if (proto === '') errs.push(fieldRequired(`${pp}.protocol`))
      else if (!PROTOCOLS.includes(proto)) errs.push(fieldNotSupported(`${pp}.protocol`, proto, PROTOCOLS))
    })
  })
  if (spec?.nodeName !== undefined && spec.nodeName !== '') for (const m of isDNS1123Subdomain(spec.nodeName)) errs.push(fieldInvalid('spec.nodeName', spec.nodeName, m))
  if (spec?.hostname !== undefined && spec.hostname !== '') for (const m of isDNS1123Label(spec.hostname)) errs.push(fieldInvalid('spec.hostname', spec.hostname, m))
  if (spec?.subdomain !== undefined && spec.subdomain !== '') for (const m of isDNS1123Label(spec.subdomain)) errs.push(fieldInvalid('spec.subdomain', spec.subdomain, m))

  const status = pod.status
  const phase = (status?.phase ?? '') as string
  if (phase !== '' && !PHASES.includes(phase)) errs.push(fieldNotSupported('status.phase', phase, PHASES))
  ;(status?.conditions ?? []).forEach((c, i) => {
    if (c.type === undefined || c.type === '') errs.push(fieldRequired(`status.conditions[${i}].type`))
    if (!CONDITION_STATUSES.includes(c.status)) errs.push(fieldNotSupported(`status.conditions[${i}].status`, c.status, CONDITION_STATUSES))
  })
  if (status?.hostIP !== undefined && status.hostIP !== '') errs.push(...validateIP('status.hostIP', status.hostIP))

  const podIPs = status?.podIPs ?? (status?.podIP !== undefined && status.podIP !== '' ? [{ ip: status.podIP }] : [])
  let ipErr = false
  podIPs.forEach((p, i) => {
    const e = validateIP(`status.podIPs[${i}]`, p.ip)
    if (e.length > 0) ipErr = true
    errs.push(...e)
  })
  if (!ipErr && podIPs.length > 1) {
    const fams = podIPs.map(p => parseIP(p.ip)?.family)
    if (podIPs.length > 2 || fams[0] === fams[1]) errs.push(fieldInvalid('status.podIPs', podIPs.map(p => p.ip), 'may specify no more than one IP for each IP family'))
  }
  if (!ipErr && status?.podIP !== undefined && status.podIP !== '' && podIPs.length > 0 && podIPs[0].ip !== status.podIP) {
    errs.push(fieldInvalid('status.podIP', status.podIP, 'must match `podIPs[0]`'))
  }
  if (!ipErr && podIPs.length > 0) {
    const ip = podIPs[0].ip
    const addr = parseIP(ip)!
    if (spec?.hostNetwork === true) {
      if (node !== undefined) {
        const nodeIPs = (node.status?.addresses ?? []).filter(a => a.type === 'InternalIP' || a.type === 'ExternalIP').map(a => a.address)
        if (!nodeIPs.includes(ip)) {
          errs.push(fieldInvalid('status.podIPs[0]', ip, `must be an address of node ${JSON.stringify(node.metadata.name)} (${nodeIPs.join(', ')}) when \`hostNetwork\` is true`))
        }
      }
    } else if (node !== undefined && node.spec?.podCIDR !== undefined && node.spec.podCIDR !== '') {
      const c = parseCIDR(node.spec.podCIDR)
      if (c !== null && !cidrContains(c, addr)) {
        errs.push(fieldInvalid('status.podIPs[0]', ip, `must be inside the podCIDR ${node.spec.podCIDR} of node ${JSON.stringify(node.metadata.name)}`))
      }
    } else {
      const c = parseCIDR(settings.clusterCIDR)
      if (c !== null && !cidrContains(c, addr)) {
        errs.push(fieldInvalid('status.podIPs[0]', ip, `must be inside the cluster CIDR ${settings.clusterCIDR}`))
      }
    }
  }
  return errs
}

export function validatePodUpdate (oldPod: Pod, newPod: Pod, settings: ClusterSettings, node?: Node): FieldError[] {
  const errs = validateObjectMetaUpdate(newPod.metadata, oldPod.metadata)
  for (const e of validatePod(newPod, settings, node)) {
    if (!errs.some(x => x.field === e.field && x.detail === e.detail && x.value === e.value)) errs.push(e)
  }
  return errs
}
