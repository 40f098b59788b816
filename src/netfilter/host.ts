/**
 * Host (network namespace) model supplied by the caller: interfaces with addresses, routes and the
 * sysctls that matter, plus the routing decisions the kernel makes (input: local / forward / drop;
 * output: device + source address or ENETUNREACH) and the local-table address types used by addrtype.
 */
import { ipToU32, u32ToIp, parseCidr, inNet, isLoopback, isMulticast, prefixToMask } from './eval/ipv4.ts'

export interface HostInterfaceSpec {
  name: string
  /** `a.b.c.d/len` strings; the first address of a subnet is its primary */
  addresses?: string[]
  /** default true */
  up?: boolean
  /** default: name === 'lo' */
  loopback?: boolean
  /** net.ipv4.conf.<name>.route_localnet */
  routeLocalnet?: boolean
}

export interface HostRouteSpec {
  /** `a.b.c.d/len` or `default` */
  dst: string
  via?: string
  dev?: string
  /** preferred source (`src` in `ip route`) */
  src?: string
  type?: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit'
  metric?: number
}

export interface HostSpec {
  name?: string
  interfaces: HostInterfaceSpec[]
  /** extra routes (connected routes of interface addresses are implicit) */
  routes?: HostRouteSpec[]
  /** net.ipv4.ip_forward (default false) */
  ipForward?: boolean
  /** net.ipv4.conf.all.route_localnet (default false) */
  routeLocalnet?: boolean
  /** net.netfilter.nf_conntrack_tcp_loose (default true) */
  tcpLoose?: boolean
}

export interface IfAddr { addr: number, mask: number, len: number, broadcast: number }
export interface HostIface { name: string, up: boolean, loopback: boolean, routeLocalnet: boolean, addrs: IfAddr[] }
export interface HostRoute { net: number, mask: number, len: number, gateway: number, dev: string, src: number, type: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit', metric: number, connected: boolean }

/** Prepared host (validated; lookups precomputed). */
export interface Host {
  name: string
  ifaces: Map<string, HostIface>
  routes: HostRoute[]
  ipForward: boolean
  routeLocalnet: boolean
  tcpLoose: boolean
  /** local table: address → device for every configured address */
  localAddrs: Map<number, string>
  /** broadcast addresses → device */
  broadcastAddrs: Map<number, string>
}

export class HostError extends Error {
  constructor (message: string) { super(message); this.name = 'HostError' }
}

/** Build a Host from a caller description. Adds `lo` (127.0.0.1/8) when missing. */
export function createHost (spec: HostSpec): Host {
  const ifaces = new Map<string, HostIface>()
  const specs = [...spec.interfaces]
  if (!specs.some(i => i.name === 'lo')) specs.unshift({ name: 'lo', addresses: ['127.0.0.1/8'], loopback: true })
  for (const s of specs) {
    if (ifaces.has(s.name)) throw new HostError(`duplicate interface ${s.name}`)
    const addrs: IfAddr[] = []
    for (const a of s.addresses ?? []) {
      let c
      try {
        const [ip, l] = a.split('/')
        const len = l === undefined ? 32 : Number(l)
        c = parseCidr(`${ip}/${len}`)
        addrs.push({ addr: ipToU32(ip), mask: c.mask, len, broadcast: len < 31 ? ((c.addr | (~c.mask >>> 0)) >>> 0) : 0 })
      } catch (e) { throw new HostError(`interface ${s.name}: ${(e as Error).message}`) }
    }
    ifaces.set(s.name, { name: s.name, up: s.up ?? true, loopback: s.loopback ?? s.name === 'lo', routeLocalnet: s.routeLocalnet ?? false, addrs })
  }
  const routes: HostRoute[] = []
  for (const i of ifaces.values()) {
    if (!i.up || i.loopback) continue
    for (const a of i.addrs) {
      routes.push({ net: (a.addr & a.mask) >>> 0, mask: a.mask, len: a.len, gateway: 0, dev: i.name, src: a.addr, type: 'unicast', metric: 0, connected: true })
    }
  }
  for (const r of spec.routes ?? []) {
    let net = 0; let mask = 0; let len = 0
    if (r.dst !== 'default') {
      try { const c = parseCidr(r.dst); net = c.addr; mask = c.mask; len = c.len } catch (e) { throw new HostError(`route ${r.dst}: ${(e as Error).message}`) }
    }
    const type = r.type ?? 'unicast'
    let gateway = 0
    if (r.via !== undefined) {
      try { gateway = ipToU32(r.via) } catch (e) { throw new HostError(`route ${r.dst}: ${(e as Error).message}`) }
    }
    let dev = r.dev
    if (type === 'unicast') {
      if (dev === undefined && gateway !== 0) {
        const c = routes.find(x => x.connected && inNet(gateway, x.net, x.mask))
        if (c === undefined) throw new HostError(`route ${r.dst}: gateway ${r.via} is not on a connected network`)
        dev = c.dev
      }
      if (dev === undefined) throw new HostError(`route ${r.dst}: needs dev or via`)
      if (!ifaces.has(dev)) throw new HostError(`route ${r.dst}: unknown device ${dev}`)
    }
    routes.push({ net, mask, len, gateway, dev: dev ?? '', src: r.src === undefined ? 0 : ipToU32(r.src), type, metric: r.metric ?? 0, connected: false })
  }
  // longest prefix first, then metric
  routes.sort((a, b) => b.len - a.len || a.metric - b.metric)
  const localAddrs = new Map<number, string>()
  const broadcastAddrs = new Map<number, string>()
  for (const i of ifaces.values()) {
    for (const a of i.addrs) {
      if (!localAddrs.has(a.addr)) localAddrs.set(a.addr, i.name)
      if (a.broadcast !== 0 && !i.loopback) broadcastAddrs.set(a.broadcast, i.name)
    }
  }
  return {
    name: spec.name ?? 'host',
    ifaces,
    routes,
    ipForward: spec.ipForward ?? false,
    routeLocalnet: spec.routeLocalnet ?? false,
    tcpLoose: spec.tcpLoose ?? true,
    localAddrs,
    broadcastAddrs
  }
}

/** Is `a` a local address (any configured address, or anything in 127/8)? Returns its device. */
export function localDevice (h: Host, a: number): string | undefined {
  const d = h.localAddrs.get(a)
  if (d !== undefined) return d
  if (isLoopback(a)) return 'lo'
  return undefined
}

export function routeLocalnetOn (h: Host, dev: string): boolean {
  return h.routeLocalnet || (h.ifaces.get(dev)?.routeLocalnet ?? false)
}

export function lookupRoute (h: Host, dst: number): HostRoute | undefined {
  for (const r of h.routes) {
    if (r.type === 'unicast' && !(h.ifaces.get(r.dev)?.up ?? false)) continue
    if (inNet(dst, r.net, r.mask)) return r
  }
  return undefined
}

/** `inet_select_addr(dev, nh)`: first primary address on dev whose subnet holds nh, else first address, else any host address. */
export function selectSourceAddr (h: Host, dev: string, nh: number): number {
  const i = h.ifaces.get(dev)
  if (i !== undefined) {
    for (const a of i.addrs) if (inNet(nh, (a.addr & a.mask) >>> 0, a.mask)) return a.addr
    if (i.addrs.length > 0) return i.addrs[0].addr
  }
  for (const j of h.ifaces.values()) {
    if (j.loopback) continue
    if (j.addrs.length > 0) return j.addrs[0].addr
  }
  return 0
}

export type InputRoute =
  | { kind: 'local', dev: string }
  | { kind: 'forward', dev: string, gateway: number }
  | { kind: 'drop', reason: string, errno: string }

/** `ip_route_input`: what routing does with a packet that arrived on `inDev` (after PREROUTING). */
export function routeInput (h: Host, src: number, dst: number, inDev: string): InputRoute {
  const inIf = h.ifaces.get(inDev)
  const fromLo = inIf?.loopback ?? false
  if (!fromLo) {
    if (isLoopback(src) && !routeLocalnetOn(h, inDev)) return { kind: 'drop', reason: `martian source ${u32ToIp(src)} on ${inDev} (route_localnet=0)`, errno: 'EINVAL' }
    if (isLoopback(dst) && !routeLocalnetOn(h, inDev)) return { kind: 'drop', reason: `martian destination ${u32ToIp(dst)} on ${inDev} (route_localnet=0)`, errno: 'EINVAL' }
  }
  if (dst === 0xffffffff || h.broadcastAddrs.has(dst) || isMulticast(dst)) return { kind: 'local', dev: inDev }
  const ld = localDevice(h, dst)
  if (ld !== undefined) return { kind: 'local', dev: ld }
  const r = lookupRoute(h, dst)
  if (r === undefined) return { kind: 'drop', reason: `no route to ${u32ToIp(dst)}`, errno: 'ENETUNREACH' }
  if (r.type !== 'unicast') return { kind: 'drop', reason: `${r.type} route for ${u32ToIp(dst)}`, errno: r.type === 'prohibit' ? 'EACCES' : 'EHOSTUNREACH' }
  if (!h.ipForward) return { kind: 'drop', reason: 'forwarding disabled (net.ipv4.ip_forward=0)', errno: 'EHOSTUNREACH' }
  return { kind: 'forward', dev: r.dev, gateway: r.gateway }
}

export type OutputRoute =
  | { kind: 'ok', dev: string, src: number, gateway: number, local: boolean }
  | { kind: 'error', errno: string, reason: string }

/** `ip_route_output`: device and source for a locally generated packet (`src` 0 = let routing pick). */
export function routeOutput (h: Host, src: number, dst: number): OutputRoute {
  const ld = localDevice(h, dst)
  if (ld !== undefined) {
    const s = src !== 0 ? src : (h.localAddrs.has(dst) ? dst : (isLoopback(dst) ? 0x7f000001 : dst))
    return { kind: 'ok', dev: loopbackName(h), src: s, gateway: 0, local: true }
  }
  const r = lookupRoute(h, dst)
  if (r === undefined) return { kind: 'error', errno: 'ENETUNREACH', reason: `no route to ${u32ToIp(dst)} (connect() fails with ENETUNREACH)` }
  if (r.type !== 'unicast') return { kind: 'error', errno: r.type === 'prohibit' ? 'EACCES' : (r.type === 'blackhole' ? 'EINVAL' : 'EHOSTUNREACH'), reason: `${r.type} route for ${u32ToIp(dst)}` }
  const s = src !== 0 ? src : (r.src !== 0 ? r.src : selectSourceAddr(h, r.dev, r.gateway !== 0 ? r.gateway : dst))
  // __mkroute_output: loopback source leaving a non-loopback device needs route_localnet on that device
  const outIf = h.ifaces.get(r.dev)
  if (isLoopback(s) && !(outIf?.loopback ?? false) && !routeLocalnetOn(h, r.dev)) {
    return { kind: 'error', errno: 'EINVAL', reason: `loopback source ${u32ToIp(s)} cannot leave ${r.dev} (route_localnet=0)` }
  }
  return { kind: 'ok', dev: r.dev, src: s, gateway: r.gateway, local: false }
}

export function loopbackName (h: Host): string {
  for (const i of h.ifaces.values()) if (i.loopback) return i.name
  return 'lo'
}

/** Route type names as addrtype uses them (bit i = 1 << RTN_i). */
export const ADDR_TYPES = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'] as const

/**
 * Address type of `a` from the host's local table model (§5.1 addrtype): 0.0.0.0/8 and
 * 255.255.255.255 → BROADCAST, 224/4 → MULTICAST, configured address or 127/8 → LOCAL, subnet
 * broadcast → BROADCAST, else UNICAST. With `dev` set (limit-iface) a hit counts only on that device.
 */
export function addrType (h: Host, a: number, dev?: string): string {
  if (a === 0xffffffff || (a >>> 24) === 0) return 'BROADCAST'
  if (isMulticast(a)) return 'MULTICAST'
  const ld = localDevice(h, a)
  if (ld !== undefined) return dev === undefined || dev === ld ? 'LOCAL' : 'UNICAST'
  const bd = h.broadcastAddrs.get(a)
  if (bd !== undefined) return dev === undefined || dev === bd ? 'BROADCAST' : 'UNICAST'
  // unreachable/blackhole/prohibit routes of the main table are not in the local table: UNICAST
  return 'UNICAST'
}

export { prefixToMask }
