/**
 * Value sharing for one parse: rules that say the same thing get the same (never modified) match,
 * target, protocol, address and match-list objects.
 *
 * Why: a kube-proxy ruleset of 50,000 endpoints has ~170,000 rules in which most parts repeat (the
 * Service's comment on all its rules, `-p tcp`, `-j KUBE-MARK-MASQ`, `--dport 80`, the statistic
 * probabilities). One object per distinct value instead of one per rule shrinks the parsed ruleset a
 * lot, and with it the garbage collector's work, which dominated parse time.
 *
 * Parsed rulesets are read-only for everything downstream (the evaluator, the renderer and the
 * kube-proxy code copy a rule before changing it), so sharing cannot be observed.
 *
 * All tables are direct-mapped (a slot per hash, a newer value replaces an older one): bounded, no
 * rehashing, and the repeats that matter are close to each other or very frequent. Every shared
 * object gets a small id so that match lists can be shared by the ids of their elements.
 */

import type { AddrMatch, IfaceMatch, Inv, Match, PortRange, ProtoMatch, Target } from '../model.ts'

/** hash of a 32-bit key (multiplicative hashing: the high bits of the product mix all key bits) */
function mix (x: number): number {
  return Math.imul(x | 0, 0x9e3779b1)
}

/** The first `n` entries of `list` as a packed array of exactly that size. */
export function exactList<T> (list: T[], n: number): T[] {
  if (n === 1) return [list[0]]
  if (n === 2) return [list[0], list[1]]
  if (n === 3) return [list[0], list[1], list[2]]
  const out: T[] = []
  for (let k = 0; k < n; k++) out.push(list[k])
  return out
}

/**
 * `a === b` for strings, without the engine's runtime call that `===` makes for substrings (most
 * tokens are slices of the text); compares from the end, where generated names differ.
 */
export function sameChars (a: string, b: string): boolean {
  return sameRegion(a, b, 0, b.length)
}

/**
 * Slot of a word from its length and eight of its characters (spread over it, the end included:
 * generated names and comments differ mostly at the end). A collision only costs a missed share.
 */
function wordHash (s: string): number {
  return regionHash(s, 0, s.length)
}

/** `wordHash` of `text[a, b)`, without making the string. */
function regionHash (text: string, a: number, b: number): number {
  const n = b - a
  if (n === 0) return 0
  const q = n >> 2
  let h = n
  h = Math.imul(h, 31) + text.charCodeAt(a) | 0
  h = Math.imul(h, 31) + text.charCodeAt(a + q) | 0
  h = Math.imul(h, 31) + text.charCodeAt(a + 2 * q) | 0
  h = Math.imul(h, 31) + text.charCodeAt(a + 3 * q) | 0
  for (let k = n > 4 ? b - 4 : a; k < b; k++) h = Math.imul(h, 31) + text.charCodeAt(k) | 0
  return mix(h)
}

/** Is `text[a, b)` the string `s` (compared from the end). */
export function sameRegion (s: string, text: string, a: number, b: number): boolean {
  const n = s.length
  if (n !== b - a) return false
  for (let k = n - 1; k >= 0; k--) if (s.charCodeAt(k) !== text.charCodeAt(a + k)) return false
  return true
}

const PORT_KIND: Record<string, number> = { tcp: 1, udp: 2, sctp: 3 }

export class SharedValues {
  /** id of the object the last `match` call returned; 0 when it is not shared */
  lastId = 0
  private nextId = 1
  /** a slot is the top `bits` bits of a mixed hash */
  private readonly shift: number
  private readonly comments: Array<Extract<Match, { kind: 'comment' }> | undefined>
  private readonly commentIds: Int32Array
  private readonly jumps: Array<Extract<Target, { kind: 'jump' | 'goto' }> | undefined>
  private readonly verdicts = new Map<string, Target>()
  private readonly ifaces = new Map<string, IfaceMatch>()
  private readonly protos: Array<ProtoMatch | undefined> = []
  private readonly addrs: Array<AddrMatch | undefined>
  private readonly portKeys: Float64Array
  private readonly ports: Array<Match | undefined>
  private readonly portIds: Int32Array
  private readonly probKeys: Float64Array
  private readonly probs: Array<Match | undefined>
  private readonly probIds: Int32Array
  private readonly lists: Array<Match[] | undefined>
  private readonly noMatches: Match[] = []

  /** `textLength`: size of the parsed text (small texts, e.g. one Service's rules, get small tables) */
  constructor (textLength: number) {
    // both counters change all the time: make V8 see them change before it optimises on them
    this.lastId = this.nextId++
    this.lastId = 0
    let bits = 4
    while (bits < 10 && (1 << bits) * 128 < textLength) bits++
    const n = 1 << bits
    this.shift = 32 - bits
    this.comments = new Array(n).fill(undefined)
    this.commentIds = new Int32Array(n)
    this.jumps = new Array(n).fill(undefined)
    this.addrs = new Array(n).fill(undefined)
    this.portKeys = new Float64Array(n)
    this.ports = new Array(n).fill(undefined)
    this.portIds = new Int32Array(n)
    this.probKeys = new Float64Array(n)
    this.probs = new Array(n).fill(undefined)
    this.probIds = new Int32Array(n)
    this.lists = new Array(n).fill(undefined)
  }

  /** The shared equivalent of a finished match, or `m` itself (then `lastId` is 0). */
  match (m: Match): Match {
    switch (m.kind) {
      case 'comment': {
        const k = wordHash(m.comment) >>> this.shift
        const hit = this.comments[k]
        if (hit !== undefined && sameChars(hit.comment, m.comment)) {
          this.lastId = this.commentIds[k]
          return hit
        }
        const s: Extract<Match, { kind: 'comment' }> = { kind: 'comment', comment: m.comment }
        this.comments[k] = s
        this.lastId = this.commentIds[k] = this.nextId++
        return s
      }
      case 'tcp': case 'udp': case 'sctp': {
        if (m.kind === 'tcp' && (m.tcpFlags !== undefined || m.tcpOption !== undefined)) break
        if (m.sport !== undefined && m.dport !== undefined) break
        const which = m.sport !== undefined ? 1 : m.dport !== undefined ? 2 : 0
        const inv = which === 1 ? m.sport : which === 2 ? m.dport : undefined
        const v = inv === undefined ? 0 : (inv.value.min * 65536 + inv.value.max) * 2 + (inv.invert ? 1 : 0)
        // below 2^37: exact in a double
        const key = (v * 4 + which) * 4 + PORT_KIND[m.kind]
        const k = mix((v * 16 + which * 4 + PORT_KIND[m.kind]) % 4294967296) >>> this.shift
        const hit = this.ports[k]
        if (hit !== undefined && this.portKeys[k] === key) {
          this.lastId = this.portIds[k]
          return hit
        }
        const s = portMatch(m.kind, which, inv)
        this.ports[k] = s
        this.portKeys[k] = key
        this.lastId = this.portIds[k] = this.nextId++
        return s
      }
      case 'statistic': {
        if (m.mode !== 'random') break
        const key = m.probability * 2 + (m.invert ? 1 : 0)
        const k = mix(m.probability) >>> this.shift
        const hit = this.probs[k]
        if (hit !== undefined && this.probKeys[k] === key) {
          this.lastId = this.probIds[k]
          return hit
        }
        const s: Match = { kind: 'statistic', mode: 'random', probability: m.probability, invert: m.invert }
        this.probs[k] = s
        this.probKeys[k] = key
        this.lastId = this.probIds[k] = this.nextId++
        return s
      }
    }
    this.lastId = 0
    return m
  }

  /** `match({ kind: 'comment', comment: text[a, b) })`, without making the string on a hit. */
  commentAt (text: string, a: number, b: number): Match {
    const k = regionHash(text, a, b) >>> this.shift
    const hit = this.comments[k]
    if (hit !== undefined && sameRegion(hit.comment, text, a, b)) {
      this.lastId = this.commentIds[k]
      return hit
    }
    const s: Extract<Match, { kind: 'comment' }> = { kind: 'comment', comment: text.slice(a, b) }
    this.comments[k] = s
    this.lastId = this.commentIds[k] = this.nextId++
    return s
  }

  /**
   * The rule's match list: the first `n` entries of `list` (which the caller may reuse). `hash`: a
   * hash of the elements' ids, or -1 when some element is not shared (then it is an exact-size copy).
   */
  matchList (list: Match[], n: number, hash: number): Match[] {
    if (n === 0) return this.noMatches
    if (hash < 0) return exactList(list, n)
    const k = mix(hash) >>> this.shift
    const hit = this.lists[k]
    if (hit !== undefined && hit.length === n) {
      let same = true
      for (let j = 0; j < n && same; j++) same = hit[j] === list[j]
      if (same) return hit
    }
    const copy = exactList(list, n)
    this.lists[k] = copy
    return copy
  }

  /** The jump/goto target to a chain. */
  jump (chain: string, isGoto: boolean): Target {
    const k = wordHash(chain) >>> this.shift
    const hit = this.jumps[k]
    if (hit !== undefined && (hit.kind === 'goto') === isGoto && sameChars(hit.chain, chain)) return hit
    const s: Extract<Target, { kind: 'jump' | 'goto' }> = isGoto ? { kind: 'goto', chain } : { kind: 'jump', chain }
    this.jumps[k] = s
    return s
  }

  /** `jump(text[a, b), false)`, without making the string on a hit. */
  jumpAt (text: string, a: number, b: number): Target {
    const k = regionHash(text, a, b) >>> this.shift
    const hit = this.jumps[k]
    if (hit !== undefined && hit.kind === 'jump' && sameRegion(hit.chain, text, a, b)) return hit
    const s: Extract<Target, { kind: 'jump' }> = { kind: 'jump', chain: text.slice(a, b) }
    this.jumps[k] = s
    return s
  }

  /** The shared equivalent of a finished target (itself when its kind is not shared). */
  target (t: Target): Target {
    switch (t.kind) {
      case 'ACCEPT': case 'DROP': case 'RETURN': case 'QUEUE': case 'TRACE': case 'NOTRACK': {
        let s = this.verdicts.get(t.kind)
        if (s === undefined) { s = t; this.verdicts.set(t.kind, t) }
        return s
      }
      default:
        return t
    }
  }

  proto (proto: number, invert: boolean): ProtoMatch {
    const k = proto * 2 + (invert ? 1 : 0)
    let p = this.protos[k]
    if (p === undefined) {
      p = { proto, invert }
      if (k < 1024) this.protos[k] = p
    }
    return p
  }

  addr (addr: number, mask: number, invert: boolean): AddrMatch {
    const k = mix(addr ^ Math.imul(mask, 31)) >>> this.shift
    const hit = this.addrs[k]
    if (hit !== undefined && hit.addr === addr && hit.mask === mask && hit.invert === invert) return hit
    const a: AddrMatch = { addr, mask, invert }
    this.addrs[k] = a
    return a
  }

  iface (name: string, invert: boolean): IfaceMatch {
    const hit = this.ifaces.get(name)
    if (hit !== undefined && hit.invert === invert) return hit
    const f: IfaceMatch = { name, invert }
    this.ifaces.set(name, f)
    return f
  }
}

function portMatch (kind: 'tcp' | 'udp' | 'sctp', which: number, inv: Inv<PortRange> | undefined): Match {
  if (which === 1) return { kind, sport: inv }
  if (which === 2) return { kind, dport: inv }
  return { kind }
}
