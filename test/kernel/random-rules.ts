/**
 * Seeded generator of valid iptables-restore input over the matches and targets the engine models,
 * written in the varied, non-canonical ways real inputs use (short and long option names, implicit
 * protocol matches, MARK/CONNMARK aliases, unmasked addresses, dotted masks, probabilities with any
 * number of digits, icmp type names, open port ranges). Everything generated is accepted by
 * iptables-nft 1.8.9 (the harness asserts this), so the kernel's `iptables-save` is the oracle for
 * our canonical renderer.
 *
 * Validity rules the generator respects (kernel/iptables restrictions): `-i` not in OUTPUT/POSTROUTING
 * and `-o` not in PREROUTING/INPUT; NAT targets only in the built-in chains whose hook allows them;
 * REJECT only in filter; no DROP in nat; jumps only "forward" between user chains (no loops);
 * `! -s 0.0.0.0/0` is never written (iptables-nft refuses it).
 */

export type Rng = () => number

/** mulberry32: small, fast, good enough for test case generation, fully determined by the seed. */
export function rng (seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1))
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]
export const chance = (r: Rng, p: number): boolean => r() < p

const TABLE_CHAINS: Record<string, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT']
}

function ip (r: Rng): string {
  const first = pick(r, [10, 172, 192, 100, 203, 127])
  return `${first}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 0, 255)}`
}

function addrArg (r: Rng): string {
  const a = ip(r)
  const k = r()
  if (k < 0.35) return a
  if (k < 0.8) return `${a}/${int(r, 1, 32)}`
  if (k < 0.9) return `${a}/255.255.${pick(r, [0, 128, 240, 255])}.0`
  return `${a}/32`
}

function port (r: Rng): string {
  return String(pick(r, [22, 53, 80, 443, 8080, 30080, int(r, 1, 65535)]))
}

function portSpec (r: Rng): string {
  const k = r()
  if (k < 0.6) return port(r)
  const a = int(r, 1, 30000)
  const b = int(r, a, 65535)
  if (k < 0.8) return `${a}:${b}`
  if (k < 0.9) return `${a}:`
  return `:${b}`
}

function comment (r: Rng): string {
  const k = r()
  if (k < 0.3) return pick(r, ['x', 'kube', 'a-b_c'])
  if (k < 0.8) return `"${pick(r, ['ns1/svc1:p80', 'kubernetes service portals', 'default/web:http cluster IP', 'ns/svc:http -> 10.244.1.5:8080'])}"`
  return `"${pick(r, ['it\'s', 'say \\"hi\\"', 'back\\\\slash', ''])}"`
}

function mark (r: Rng): string {
  const v = pick(r, ['0x4000', '0x8000', '1', '010', '0xff', String(int(r, 0, 65535))])
  return chance(r, 0.4) ? `${v}/${pick(r, ['0x4000', '0xffff', '0xff00', '0xffffffff'])}` : v
}

const not = (r: Rng, p = 0.2): string => (chance(r, p) ? '! ' : '')

interface Ctx { table: string, chain: string, builtin: boolean, proto?: string }

function protoMatch (r: Rng, ctx: Ctx, explicit: boolean): string {
  const p = ctx.proto
  const head = explicit ? `-m ${p} ` : ''
  if (p === 'tcp') {
    const parts: string[] = []
    if (chance(r, 0.4)) parts.push(`${not(r)}--sport ${portSpec(r)}`)
    if (chance(r, 0.7)) parts.push(`${not(r)}${pick(r, ['--dport', '--destination-port'])} ${portSpec(r)}`)
    if (chance(r, 0.2)) parts.push(`${not(r)}--syn`)
    else if (chance(r, 0.15)) parts.push(`--tcp-flags ${pick(r, ['SYN,ACK,FIN,RST', 'ALL', 'SYN,RST'])} ${pick(r, ['SYN', 'NONE', 'ACK', 'SYN,ACK'])}`)
    if (parts.length === 0) parts.push(`--dport ${port(r)}`)
    return head + parts.join(' ')
  }
  if (p === 'udp' || p === 'sctp') {
    const parts: string[] = []
    if (chance(r, 0.4)) parts.push(`${not(r)}--sport ${portSpec(r)}`)
    if (parts.length === 0 || chance(r, 0.7)) parts.push(`${not(r)}--dport ${portSpec(r)}`)
    return head + parts.join(' ')
  }
  // icmp
  return head + `${not(r)}--icmp-type ${pick(r, ['echo-request', '8', '0', '3/1', 'destination-unreachable', 'any', 'port-unreachable'])}`
}

function extraMatch (r: Rng, ctx: Ctx, used: Set<string>): string {
  // iptables resolves an option name against every module loaded so far, so a rule never loads the
  // same module twice or both mark and connmark (a second `--mark` would go to the first module).
  const kinds = ['comment', 'mark', 'connmark', 'conntrack', 'state', 'statistic', 'addrtype', 'recent']
  if (ctx.proto === 'tcp' || ctx.proto === 'udp' || ctx.proto === 'sctp') kinds.push('multiport', 'multiport')
  const free = kinds.filter(k => !used.has(k) && !(k === 'mark' && used.has('connmark')) && !(k === 'connmark' && used.has('mark')))
  if (free.length === 0) return ''
  const k = pick(r, free)
  used.add(k)
  switch (k) {
    case 'comment': return `-m comment --comment ${comment(r)}`
    case 'mark': return `-m mark ${not(r)}--mark ${mark(r)}`
    case 'connmark': return `-m connmark ${not(r)}--mark ${mark(r)}`
    case 'state': return `-m state ${not(r)}--state ${shuffle(r, ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED']).slice(0, int(r, 1, 3)).join(',')}`
    case 'conntrack': {
      const parts: string[] = []
      if (chance(r, 0.8)) parts.push(`${not(r)}--ctstate ${shuffle(r, ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT']).slice(0, int(r, 1, 3)).join(',')}`)
      if (chance(r, 0.3)) parts.push(`${not(r)}--ctorigdst ${addrArg(r)}`)
      if (chance(r, 0.2)) parts.push(`${not(r)}--ctorigsrc ${addrArg(r)}`)
      if (chance(r, 0.2)) parts.push(`--ctorigdstport ${port(r)}`)
      if (chance(r, 0.1)) parts.push(`--ctdir ${pick(r, ['ORIGINAL', 'REPLY'])}`)
      if (parts.length === 0) parts.push('--ctstate NEW')
      return `-m conntrack ${parts.join(' ')}`
    }
    case 'statistic':
      if (chance(r, 0.75)) {
        const p = pick(r, ['0.5', '0.33333', '0.3333333333', '0.25000000000', '0.2', '0.1', '1', '0', String(r()).slice(0, int(r, 3, 14))])
        return `-m statistic --mode random ${not(r, 0.1)}--probability ${p}`
      } else {
        const every = int(r, 1, 10)
        return `-m statistic --mode nth --every ${every} --packet ${int(r, 0, every - 1)}`
      }
    case 'addrtype': {
      const types = ['LOCAL', 'UNICAST', 'BROADCAST', 'MULTICAST', 'loc', 'local', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'ANYCAST']
      const parts: string[] = []
      if (chance(r, 0.4)) parts.push(`${not(r)}--src-type ${pick(r, types)}`)
      if (parts.length === 0 || chance(r, 0.6)) parts.push(`${not(r)}--dst-type ${pick(r, types)}${chance(r, 0.2) ? ',' + pick(r, ['LOCAL', 'BROADCAST']) : ''}`)
      return `-m addrtype ${parts.join(' ')}`
    }
    case 'recent': {
      const cmd = pick(r, ['--set', '--rcheck', '--update', '--remove'])
      const parts = [`${not(r, 0.1)}${cmd}`, `--name ${pick(r, ['KUBE-SEP-ABC', 'X', 'DEFAULT', 'sticky'])}`]
      if (cmd === '--rcheck' || cmd === '--update') {
        if (chance(r, 0.6)) parts.push(`--seconds ${pick(r, [10800, 60, 1])}`)
        if (parts.length > 2 && chance(r, 0.5)) parts.push('--reap')
        if (chance(r, 0.2)) parts.push(`--hitcount ${int(r, 1, 20)}`)
      }
      if (chance(r, 0.2)) parts.push(pick(r, ['--rsource', '--rdest']))
      if (chance(r, 0.15)) parts.push('--mask 255.255.255.0')
      return `-m recent ${shuffle(r, parts.slice(1)).concat(parts[0]).join(' ')}`
    }
    default: {
      const dir = pick(r, ['--dports', '--sports', '--ports', '--destination-ports'])
      const n = int(r, 1, 4)
      const items = Array.from({ length: n }, () => (chance(r, 0.3) ? `${int(r, 1, 1000)}:${int(r, 1001, 9000)}` : port(r)))
      return `-m multiport ${not(r, 0.15)}${dir} ${items.join(',')}`
    }
  }
}

function shuffle<T> (r: Rng, xs: T[]): T[] {
  const a = [...xs]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

function target (r: Rng, ctx: Ctx, jumpable: string[]): string {
  const opts: string[] = ['ACCEPT', 'RETURN', 'LOG', 'none']
  if (jumpable.length > 0) opts.push('jump', 'jump', 'goto')
  if (ctx.table !== 'nat') opts.push('DROP')
  if (ctx.table === 'mangle' || ctx.table === 'nat') opts.push('MARK', 'MARK')
  if (ctx.table === 'mangle') opts.push('CONNMARK')
  if (ctx.table === 'filter') opts.push('REJECT', 'REJECT')
  if (ctx.table === 'raw') opts.push('NOTRACK', 'CT', 'TRACE')
  const ports = ctx.proto === 'tcp' || ctx.proto === 'udp' || ctx.proto === 'sctp'
  if (ctx.table === 'nat' && ctx.builtin) {
    if (ctx.chain === 'PREROUTING' || ctx.chain === 'OUTPUT') opts.push('DNAT', 'DNAT', 'REDIRECT')
    if (ctx.chain === 'POSTROUTING') opts.push('MASQUERADE', 'MASQUERADE', 'SNAT')
    if (ctx.chain === 'INPUT') opts.push('SNAT')
  }
  const k = pick(r, opts)
  switch (k) {
    case 'none': return ''
    case 'jump': return `${pick(r, ['-j', '--jump'])} ${pick(r, jumpable)}`
    case 'goto': return `-g ${pick(r, jumpable)}`
    case 'LOG': return pick(r, ['-j LOG', `-j LOG --log-prefix ${comment(r).replace(/^""$/, '"p "')}`, '-j LOG --log-level 6', '-j LOG --log-prefix "x: " --log-level warning', '-j LOG --log-uid --log-tcp-sequence'])
    case 'MARK': return `-j MARK ${pick(r, ['--or-mark', '--xor-mark', '--and-mark', '--set-mark', '--set-xmark'])} ${pick(r, ['0x4000', '0x8000', '0xff', '1'])}${chance(r, 0.2) ? '/0xffff' : ''}`.replace(/(--(?:or|xor|and)-mark \S+)\/0xffff/, '$1')
    case 'CONNMARK': return pick(r, ['-j CONNMARK --save-mark', '-j CONNMARK --restore-mark', '-j CONNMARK --restore-mark --mask 0xff', '-j CONNMARK --set-mark 5/0xf', '-j CONNMARK --set-xmark 0x1/0x1', '-j CONNMARK --save-mark --nfmask 0xff00 --ctmask 0xff'])
    case 'REJECT': {
      const kinds = ['icmp-port-unreachable', 'icmp-net-unreachable', 'icmp-host-unreachable', 'icmp-proto-unreachable', 'icmp-net-prohibited', 'icmp-host-prohibited', 'icmp-admin-prohibited']
      if (ctx.proto === 'tcp') kinds.push('tcp-reset', 'tcp-rst')
      return chance(r, 0.3) ? '-j REJECT' : `-j REJECT --reject-with ${pick(r, kinds)}`
    }
    case 'NOTRACK': return '-j NOTRACK'
    case 'CT': return '-j CT --notrack'
    case 'TRACE': return '-j TRACE'
    case 'DNAT': {
      const a = ip(r)
      const p = ports && chance(r, 0.7) ? `:${port(r)}` : ''
      const range = chance(r, 0.1) ? `-${a.replace(/\.\d+$/, '.254')}` : ''
      return `-j DNAT ${pick(r, ['--to-destination', '--to'])} ${a}${range}${p}`
    }
    case 'REDIRECT': return ports && chance(r, 0.7) ? `-j REDIRECT --to-ports ${port(r)}` : '-j REDIRECT'
    case 'MASQUERADE': {
      const parts = ['-j MASQUERADE']
      if (ports && chance(r, 0.3)) parts.push(`--to-ports ${int(r, 1024, 2000)}-${int(r, 2001, 65000)}`)
      if (chance(r, 0.4)) parts.push(pick(r, ['--random-fully', '--random']))
      return parts.join(' ')
    }
    case 'SNAT': return `-j SNAT --to-source ${ip(r)}${ports && chance(r, 0.3) ? ':1000-2000' : ''}${chance(r, 0.2) ? ' --random-fully' : ''}`
    default: return `-j ${k}`
  }
}

/** One rule line (without `-A CHAIN`), valid in ctx. */
export function randomRule (r: Rng, ctx: Ctx, jumpable: string[]): string {
  const core: string[] = []
  const hook = ctx.builtin ? ctx.chain : ''
  if (chance(r, 0.35)) core.push(`${not(r)}${pick(r, ['-s', '--source', '--src'])} ${addrArg(r)}`)
  if (chance(r, 0.35)) core.push(`${not(r)}${pick(r, ['-d', '--destination', '--dst'])} ${addrArg(r)}`)
  if (chance(r, 0.2) && hook !== 'OUTPUT' && hook !== 'POSTROUTING') core.push(`${not(r)}-i ${pick(r, ['eth0', 'cni0', 'lo', 'veth+', 'eth+'])}`)
  if (chance(r, 0.2) && hook !== 'PREROUTING' && hook !== 'INPUT') core.push(`${not(r)}-o ${pick(r, ['eth0', 'cni0', 'lo', 'veth+'])}`)
  const c: Ctx = { ...ctx }
  if (chance(r, 0.6)) {
    c.proto = pick(r, ['tcp', 'tcp', 'udp', 'icmp', 'sctp'])
    core.push(`${pick(r, ['-p', '--protocol'])} ${pick(r, [c.proto, c.proto, c.proto.toUpperCase(), ({ tcp: '6', udp: '17', icmp: '1', sctp: '132' } as Record<string, string>)[c.proto]])}`)
  }
  const matches: string[] = []
  const n = int(r, 0, 3)
  let protoDone = false
  const used = new Set<string>()
  for (let i = 0; i < n; i++) {
    if (c.proto !== undefined && !protoDone && chance(r, 0.5)) {
      matches.push(protoMatch(r, c, used.has('multiport') || chance(r, 0.5)))
      protoDone = true
    } else {
      const m = extraMatch(r, c, used)
      if (m !== '') matches.push(m)
    }
  }
  // an implicit protocol option after -m multiport would be taken by multiport (`--dport` abbreviates
  // `--dports`), so after multiport the protocol match is loaded explicitly
  if (c.proto !== undefined && !protoDone && chance(r, 0.5)) matches.push(protoMatch(r, c, used.has('multiport') || chance(r, 0.5)))
  // -p must come before a match that depends on it; other core options may go anywhere
  const pIdx = core.findIndex(x => x.startsWith('-p') || x.startsWith('--protocol'))
  const pPart = pIdx >= 0 ? core.splice(pIdx, 1) : []
  const ordered = [...shuffle(r, core.filter((_, i) => i % 2 === 0)), ...pPart, ...matches]
  // sprinkle the remaining core options between matches
  for (const x of core.filter((_, i) => i % 2 === 1)) ordered.splice(int(r, pPart.length > 0 ? ordered.indexOf(pPart[0]) + 1 : 0, ordered.length), 0, x)
  let t = target(r, c, jumpable)
  // `--mask` after `-m recent` belongs to recent, not to CONNMARK
  while (used.has('recent') && t.includes('--mask')) t = target(r, c, jumpable)
  if (t.startsWith('-j DNAT') && /:\d+$/.test(t) && c.proto === undefined) return randomRule(r, ctx, jumpable)
  return [...ordered, t].filter(Boolean).join(' ')
}

function chainName (r: Rng, used: Set<string>): string {
  for (;;) {
    const name = pick(r, ['KUBE-SVC-', 'KUBE-SEP-', 'CHAIN_', 'my-chain-', 'X'] as const) +
      Array.from({ length: int(r, 1, 16) }, () => pick(r, [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'])).join('')
    if (!used.has(name)) { used.add(name); return name }
  }
}

/** A random restore text (several tables, user chains, rules) from `seed`. */
export function randomRuleset (seed: number, opts: { maxRulesPerChain?: number } = {}): string {
  const r = rng(seed)
  const tables = shuffle(r, Object.keys(TABLE_CHAINS)).slice(0, int(r, 1, 5))
  const lines: string[] = [`# random ruleset seed ${seed}`]
  for (const table of tables) {
    lines.push(`*${table}`)
    const used = new Set<string>()
    const users = Array.from({ length: int(r, 0, 4) }, () => chainName(r, used))
    for (const chain of TABLE_CHAINS[table]) {
      const policy = table !== 'nat' && chance(r, 0.2) ? 'DROP' : 'ACCEPT'
      lines.push(`:${chain} ${policy} [0:0]`)
    }
    for (const u of users) lines.push(`:${u} - [0:0]`)
    const body: string[] = []
    const maxRules = opts.maxRulesPerChain ?? 6
    for (const chain of TABLE_CHAINS[table]) {
      for (let i = int(r, 0, maxRules); i > 0; i--) body.push(`-A ${chain} ${randomRule(r, { table, chain, builtin: true }, users)}`.trimEnd())
    }
    users.forEach((u, idx) => {
      for (let i = int(r, 0, maxRules); i > 0; i--) body.push(`-A ${u} ${randomRule(r, { table, chain: u, builtin: false }, users.slice(idx + 1))}`.trimEnd())
    })
    // rule lines of different chains may be interleaved; per-chain order is what counts
    lines.push(...interleave(r, body))
    lines.push('COMMIT')
  }
  return lines.join('\n') + '\n'
}

function interleave (r: Rng, body: string[]): string[] {
  const byChain = new Map<string, string[]>()
  for (const l of body) {
    const c = l.split(' ')[1]
    if (!byChain.has(c)) byChain.set(c, [])
    byChain.get(c)!.push(l)
  }
  const queues = [...byChain.values()]
  const out: string[] = []
  while (queues.some(q => q.length > 0)) {
    const live = queues.filter(q => q.length > 0)
    out.push(pick(r, live).shift()!)
  }
  return out
}
