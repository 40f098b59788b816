/**
 * Node podCIDRs (kube-controller-manager CidrSet: sequential /24s from the cluster CIDR) and pod
 * IPs (CNI host-local: round-robin after the last reserved IP, gateway network+1 skipped).
 */
import { internalError } from './errors.ts'
import { cidrSize, formatIP, parseCIDR, parseIP } from './ip.ts'

export const ERR_NO_CIDRS = 'CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range'

/** The lowest free sub-CIDR of `maskSize` (default /24 for IPv4, /64 for IPv6) in the cluster CIDR. */
export function nextPodCIDR (clusterCIDR: string, used: ReadonlySet<string>, maskSize?: number): string {
  const c = parseCIDR(clusterCIDR)
  if (c === null) throw internalError(`invalid cluster CIDR ${clusterCIDR}`)
  const mask = maskSize ?? (c.family === 4 ? 24 : 64)
  const total = c.family === 4 ? 32 : 128
  if (mask < c.prefix || mask > total) throw internalError(ERR_NO_CIDRS)
  const step = 1n << BigInt(total - mask)
  const count = 1n << BigInt(mask - c.prefix)
  const usedNets = new Set<bigint>()
  for (const u of used) {
    const p = parseCIDR(u)
    if (p !== null && p.family === c.family) usedNets.add(p.network)
  }
  for (let i = 0n; i < count; i++) {
    const net = c.network + i * step
    if (!usedNets.has(net)) return `${formatIP(c.family, net)}/${mask}`
  }
  throw internalError(ERR_NO_CIDRS)
}

/** host-local range text `start-end` (start = network+1, end = broadcast-1 for IPv4 / last for IPv6). */
export function podRangeText (podCIDR: string): string {
  const c = parseCIDR(podCIDR)
  if (c === null) return podCIDR
  const last = c.network + cidrSize(c) - 1n - (c.family === 4 ? 1n : 0n)
  return `${formatIP(c.family, c.network + 1n)}-${formatIP(c.family, last)}`
}

/**
 * Next pod IP in the node's podCIDR: scan from the address after `lastReserved` (or from the range
 * start when unset/outside), wrapping once; skip the gateway (network+1) and used addresses.
 * Throws `no IP addresses available in range set: <start>-<end>` when none is free.
 */
export function nextPodIP (podCIDR: string, used: ReadonlySet<string>, lastReserved?: string): string {
  const c = parseCIDR(podCIDR)
  if (c === null) throw internalError(`invalid podCIDR ${podCIDR}`)
  const start = c.network + 1n
  const end = c.network + cidrSize(c) - 1n - (c.family === 4 ? 1n : 0n)
  const gateway = c.network + 1n
  const n = end - start + 1n
  if (n <= 0n) throw internalError(`no IP addresses available in range set: ${podRangeText(podCIDR)}`)
  let from = start
  if (lastReserved !== undefined) {
    const lr = parseIP(lastReserved)
    if (lr !== null && lr.family === c.family && lr.value >= start && lr.value <= end) from = lr.value === end ? start : lr.value + 1n
  }
  const limit = n > 1n << 20n ? 1n << 20n : n
  for (let i = 0n; i < limit; i++) {
    let v = from + i
    if (v > end) v = start + (v - end - 1n)
    if (v === gateway) continue
    const s = formatIP(c.family, v)
    if (!used.has(s)) return s
  }
  throw internalError(`no IP addresses available in range set: ${podRangeText(podCIDR)}`)
}
