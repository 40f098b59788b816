/**
 * A fast path for the `-A` lines that make up nearly all of a kube-proxy ruleset, read straight from
 * the text: no token array, no option-parser object, no per-option lookups.
 *
 * It understands a small grammar: `-A CHAIN` first, then in any order `[!] -s ADDR`, `[!] -d ADDR`,
 * `-p tcp|udp`, `-m comment --comment TEXT`, `-m tcp|udp`, `[!] --dport N`, `[!] --sport N` (on the
 * loaded or the implicit port module), `-m statistic --mode random --probability P` and `-j TARGET`
 * with the exact options of a typed target (DNAT's `--to-destination ADDR:PORT` read directly).
 * Anything else — another option or spelling, an
 * abbreviation, a repeat, a value it cannot read for sure, any error — makes it give up (return null)
 * before anything is changed, and the general parser (rule.ts) reads the line instead, with its own
 * errors. What it builds is what the general parser builds for the same line: the same objects, field
 * for field and in the same key order, through the same value sharing (test/netfilter/parse-fast.test.ts
 * compares both over the golden and generated rulesets).
 */

import type { AddrMatch, Counters, Match, NatRange, PortRange, ProtoMatch, Inv, Rule, TableName, Target } from '../model.ts'
import { parseDecimal } from '../numbers.ts'
import { quantizeProbability } from '../probability.ts'
import { MAX_ARGS, MAX_TOKEN } from '../tokenize.ts'
import { checkOptionFlags, RuleEnv, type ExtDef, type OptDef, type ParseEnv } from './ext.ts'
import { MATCHES, TARGETS, VERBATIM_TARGETS } from './registry.ts'
import { TWO_ARG_OPTIONS } from './match-tcpudp.ts'
import { exactList, type SharedValues } from './share.ts'
import type { ChainIndex } from './chain-index.ts'

let enabled = true

/** Switch the fast path off (or on again): the equivalence tests parse with and without it. */
export function setFastPath (on: boolean): void {
  enabled = on
}

export function fastPathEnabled (): boolean {
  return enabled
}

/** Thrown by the fast path's `env.fail`: the general parser then reads the line and reports. */
const GIVE_UP = new Error('fast path: not handled')

function isSpace (c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12
}

/** core long option names: an exact core name wins over any extension option */
const CORE_NAMES = new Set([
  'append', 'delete', 'check', 'insert', 'replace', 'list', 'list-rules', 'flush', 'zero', 'new-chain', 'delete-chain',
  'rename-chain', 'policy', 'source', 'src', 'destination', 'dst', 'protocol', 'in-interface', 'out-interface', 'jump',
  'goto', 'match', 'fragments', 'set-counters', 'table', 'ipv4', 'ipv6', 'verbose', 'numeric', 'exact', 'line-numbers',
  'modprobe', 'wait', 'wait-interval', 'version', 'help'
])

const COMMENT_DEF = MATCHES.get('comment')!
const TCP_DEF = MATCHES.get('tcp')!
const UDP_DEF = MATCHES.get('udp')!
const STATISTIC_DEF = MATCHES.get('statistic')!

const NO_MATCHES: Match[] = []
const NO_SEEN: string[] = []
const DNAT_DEF = TARGETS.get('DNAT')!
const NO_MATCH: Match = { kind: 'comment', comment: '' }
/**
 * `-p tcp` / `-p udp` of rules parsed without value sharing (small texts, e.g. one Service's rules):
 * one object each for all of them, which cannot be observed (parsed rulesets are read-only, see share.ts)
 */
const TCP_PROTO: ProtoMatch = { proto: 6, invert: false }
const UDP_PROTO: ProtoMatch = { proto: 17, invert: false }

/** probabilities seen (by any parse): the text and its quantised value (kube-proxy repeats a few values) */
const PROB_TEXT: string[] = new Array(64).fill('')
const PROB_VALUE = new Float64Array(64)

/** the longest typed or verbatim target name */
const EXT_NAME_MAX = Math.max(...[...TARGETS.keys(), ...VERBATIM_TARGETS].map(n => n.length))

/** what `read` returns in validating mode (see lazy-rules.ts): the line is a valid rule */
const VALID: Rule = { matches: NO_MATCHES, target: null }

/** match records: kinds */
const M_COMMENT = 1
const M_TCP = 2
const M_UDP = 3
const M_STAT = 4

interface PortState { sport?: Inv<PortRange>, dport?: Inv<PortRange> }

/**
 * One per parse (like the general parser's CommandParser). `read` returns the rule of an `-A` line
 * or null; on success `chainStart`/`chainEnd` give the chain name's place in the text, `column` its
 * column (where the general parser reports an unknown chain) and `jumps` whether the rule jumps to a
 * user chain.
 */
export class FastLineParser {
  chainStart = 0
  chainEnd = 0
  column = 1
  jumps = false
  /** the jump is to a user chain of the table (so COMMIT need not check it) */
  checked = false
  /**
   * Validating mode only, for the line last accepted: its target's kind (null for none or a chain),
   * whether it is TRACE, and prepare's index key (indexKeyOf in eval/prepare.ts): `keyPort` -1 when
   * the rule has none, `keyAnyDst` when it has no destination (else `keyDst`).
   */
  targetKind: string | null = null
  /** validating mode: the index's jump target when the rule jumps to a user chain it has, else undefined */
  jumpTarget: Target | undefined = undefined
  keyPort = -1
  keyProto = 0
  keyDst = 0
  keyAnyDst = false
  private readonly env = new RuleEnv(() => { throw GIVE_UP })
  /** scratch match list (the shared list tables copy what they keep) */
  private readonly list: Match[] = [NO_MATCH, NO_MATCH, NO_MATCH, NO_MATCH]
  /** the word last read by `word`: text[wa, wb) */
  private wa = 0
  private wb = 0
  private words = 0

  /**
   * `chains`: the current table's chains (their names and jump targets are reused; null: jump
   * targets come from `share`). `validateOnly`: `read` checks a line as it would build its rule, but
   * builds nothing and returns VALID (lazy-rules.ts builds the rule later, with `build`).
   */
  constructor (private readonly text: string, private readonly share: SharedValues | null, private readonly chains: ChainIndex | null, private readonly validateOnly = false) {
    // every field changes per line: say so now (V8 would otherwise first assume it never changes, and
    // drop the optimised parser when it does); the addresses hold numbers beyond the small-integer range
    this.chainStart = this.chainEnd = this.column = this.wa = this.wb = this.words = this.port = -1
    this.jumps = this.checked = true
    this.addr = this.mask = this.srcAddr = this.srcMask = this.dstAddr = this.dstMask = 0xffffffff
    this.nm = this.kinds = this.commentA = this.commentB = this.portKind = this.probability = this.proto = this.targetA = this.targetB = 1
    this.invert = this.srcSet = this.srcInv = this.dstSet = this.dstInv = this.protoUsed = this.sportFirst = this.hasStat = true
    this.ports = {}
    this.tdef = DNAT_DEF
    this.tstate = {}
    this.tseen = []
    this.dnatRange = { minPort: 1, maxPort: 1, minAddr: 0xffffffff, maxAddr: 0xffffffff }
    this.table = 'nat'
    this.targetKind = 'x'
    this.targetKind = null
    this.jumpTarget = this.preset = { kind: 'jump', chain: '' }
    this.jumpTarget = this.preset = undefined
    this.keyPort = this.keyProto = this.keyDst = -1
    this.keyAnyDst = true
  }

  /**
   * Read one token at or after `i` (before `end`) into wa/wb; returns the index after it, or -1 at
   * the end of the line, or -2 when the token needs the general tokenizer (quotes inside a word,
   * backslashes in a quoted word) or breaks a tokenizer limit.
   */
  private word (i: number, end: number): number {
    const text = this.text
    while (i < end && isSpace(text.charCodeAt(i))) i++
    if (i >= end) return -1
    if (++this.words > MAX_ARGS) return -2
    let c = text.charCodeAt(i)
    if (c === 34) {
      let j = i + 1
      for (; j < end; j++) {
        c = text.charCodeAt(j)
        if (c === 34 || c === 92) break
      }
      if (j >= end || c !== 34) return -2
      // the closing quote must end the token (`"a"b` is one token for the tokenizer)
      if (j + 1 < end && !isSpace(text.charCodeAt(j + 1))) return -2
      if (j - i - 1 > MAX_TOKEN) return -2
      this.wa = i + 1
      this.wb = j
      return j + 1
    }
    let j = i
    for (; j < end; j++) {
      c = text.charCodeAt(j)
      // (every character above the quote is a word character: one comparison for nearly all)
      if (c > 34) continue
      if (c === 34) return -2
      if (isSpace(c)) break
    }
    if (j - i > MAX_TOKEN) return -2
    this.wa = i
    this.wb = j
    return j
  }

  /** is the current word exactly `s` */
  private is (s: string): boolean {
    const n = s.length
    if (this.wb - this.wa !== n) return false
    const text = this.text
    const a = this.wa
    for (let k = 0; k < n; k++) if (text.charCodeAt(a + k) !== s.charCodeAt(k)) return false
    return true
  }

  /** what readAddr / readAddrPort read */
  private addr = 0
  private mask = 0
  private port = 0

  /**
   * The current word as `addr[/len]` with four decimal parts without leading zeros and a decimal
   * prefix length: sets `addr`/`mask` (address masked like `-s`/`-d`); false for anything else.
   */
  private readAddr (): boolean {
    const text = this.text
    const end = this.wb
    let i = this.wa
    let v = 0
    for (let part = 0; part < 4; part++) {
      if (part > 0) {
        if (i >= end || text.charCodeAt(i) !== 46) return false
        i++
      }
      const start = i
      let x = 0
      while (i < end) {
        const c = text.charCodeAt(i)
        if (c < 48 || c > 57) break
        x = x * 10 + c - 48
        i++
      }
      if (i === start || i - start > 3 || x > 255 || (i - start > 1 && text.charCodeAt(start) === 48)) return false
      v = v * 256 + x
    }
    let mask = 0xffffffff
    if (i < end) {
      if (text.charCodeAt(i) !== 47) return false
      i++
      const start = i
      let len = 0
      while (i < end) {
        const c = text.charCodeAt(i)
        if (c < 48 || c > 57) return false
        len = len * 10 + c - 48
        i++
      }
      if (i === start || i - start > 2 || len > 32 || (i - start > 1 && text.charCodeAt(start) === 48)) return false
      mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
    }
    this.addr = (v & mask) >>> 0
    this.mask = mask
    return true
  }

  /** The current word as a decimal port 0..65535 without leading zeros, or -1. */
  private readPort (): number {
    const text = this.text
    const a = this.wa
    const n = this.wb - a
    if (n === 0 || n > 5 || (n > 1 && text.charCodeAt(a) === 48)) return -1
    let v = 0
    for (let k = 0; k < n; k++) {
      const c = text.charCodeAt(a + k)
      if (c < 48 || c > 57) return -1
      v = v * 10 + c - 48
    }
    return v > 65535 ? -1 : v
  }

  /** The current word as a `--probability` value (quantised), or -1 when out of range or malformed. */
  private readProbability (): number {
    const text = this.text
    const a = this.wa
    const b = this.wb
    const n = b - a
    if (n === 0) return -1
    // (every character counts: kube-proxy's 0.2000000000, 0.2500000000 and 0.5000000000 differ in
    // one or two of them, and a hash of a few fixed places sent all three to one slot)
    let h = n
    for (let j = a; j < b; j++) h = (Math.imul(h, 31) + text.charCodeAt(j)) | 0
    const k = (h ^ (h >>> 6) ^ (h >>> 12)) & 63
    const hit = PROB_TEXT[k]
    if (hit.length === n) {
      let j = n - 1
      while (j >= 0 && hit.charCodeAt(j) === text.charCodeAt(a + j)) j--
      if (j < 0) return PROB_VALUE[k]
    }
    const s = text.slice(a, b)
    const p = parseDecimal(s)
    if (p === null || !(p >= 0 && p <= 1)) return -1
    const q = quantizeProbability(p)
    PROB_TEXT[k] = s
    PROB_VALUE[k] = q
    return q
  }

  /**
   * The current word as `A.B.C.D:PORT` (decimal parts without leading zeros, port 1..65535): sets
   * `addr` and `port`; false for anything else (the DNAT parser reads it then).
   */
  private readAddrPort (): boolean {
    const text = this.text
    const b = this.wb
    let colon = -1
    for (let k = b - 1; k > this.wa; k--) if (text.charCodeAt(k) === 58) { colon = k; break }
    if (colon < 0) return false
    for (let k = this.wa; k < colon; k++) if (text.charCodeAt(k) === 47) return false
    this.wb = colon
    const ok = this.readAddr()
    this.wb = b
    if (!ok || this.mask !== 0xffffffff) return false
    const a = colon + 1
    const n = b - a
    if (n === 0 || n > 5 || text.charCodeAt(a) === 48) return false
    let v = 0
    for (let k = a; k < b; k++) {
      const c = text.charCodeAt(k)
      if (c < 48 || c > 57) return false
      v = v * 10 + c - 48
    }
    if (v > 65535) return false
    this.port = v
    return true
  }

  /**
   * The rule of a line `read` accepted in validating mode (by a parser over the same text and value
   * sharing): what `read` would have returned then without validating.
   */
  build (lineStart: number, s: number, end: number, line: number, table: TableName, jump: Target | undefined): Rule {
    let r: Rule | null = null
    // (the jump target the validating parser found, instead of looking the chain up again)
    this.preset = jump
    try {
      r = this.parseLine(lineStart, s, end, line, table, undefined)
    } catch (e) {
      if (e !== GIVE_UP) throw e
    }
    if (r === null || r === VALID) throw new Error(`internal error: line ${line} was accepted and now is not`)
    return r
  }

  /** Parse `text[s, end)` (an `-A` line at `lineStart`); null when the general parser must read it. */
  read (lineStart: number, s: number, end: number, line: number, table: TableName, counters: Counters | undefined): Rule | null {
    if (!enabled) return null
    try {
      return this.parseLine(lineStart, s, end, line, table, counters)
    } catch (e) {
      if (e === GIVE_UP) return null
      throw e
    }
  }

  // ---- the line being read (reset by parseLine) ----
  // The reading is split into small methods on purpose: V8 optimises small functions quickly, while
  // one big function ran unoptimised for a good part of a large parse while it was being compiled.
  private invert = false
  private srcSet = false
  private srcAddr = 0
  private srcMask = 0
  private srcInv = false
  private dstSet = false
  private dstAddr = 0
  private dstMask = 0
  private dstInv = false
  /** -p value (0 = none) */
  private proto = 0
  private protoUsed = false
  /** match records in load order (at most one per module): count and kinds, 3 bits each */
  private nm = 0
  private kinds = 0
  private commentA = 0
  private commentB = 0
  private ports: PortState | undefined
  private portKind = 0
  /** --sport came before --dport (the key order of the match) */
  private sportFirst = false
  private probability = 0
  private hasStat = false
  private targetA = -1
  private targetB = -1
  private tdef: ExtDef | undefined
  private tstate: any
  private tseen: string[] = NO_SEEN
  private dnatRange: NatRange | undefined
  private table: TableName = 'filter'
  /** `build`: the rule's jump target as the validating parse found it */
  private preset: Target | undefined = undefined

  private parseLine (lineStart: number, s: number, end: number, line: number, table: TableName, counters: Counters | undefined): Rule | null {
    const text = this.text
    this.words = 0
    // `-A CHAIN`
    let i = this.word(s, end)
    if (i < 0 || !this.is('-A')) return null
    i = this.word(i, end)
    if (i < 0 || this.wb - this.wa > 28) return null
    // (the general parser reports a command's errors at its argument)
    this.column = this.wa - lineStart + 1
    // a quoted or odd chain name (empty, an option-like word) is left to the general parser
    if (this.wb === this.wa || text.charCodeAt(this.wa) === 45 || text.charCodeAt(this.wa - 1) === 34) return null
    this.chainStart = this.wa
    this.chainEnd = this.wb
    this.table = table
    this.invert = this.srcSet = this.srcInv = this.dstSet = this.dstInv = false
    this.protoUsed = this.sportFirst = this.hasStat = false
    this.proto = this.nm = this.kinds = this.commentA = this.commentB = this.portKind = 0
    this.targetA = this.targetB = -1
    this.ports = undefined
    this.tdef = undefined
    this.tstate = undefined
    this.tseen = NO_SEEN
    this.dnatRange = undefined
    for (i = this.word(i, end); i !== -1; i = this.word(i, end)) {
      if (i === -2) return null
      i = this.option(i, end)
      if (i < 0) return null
    }
    if (this.invert) return null
    return this.make(line, counters)
  }

  /** One option (the current word) and its arguments: the index after them, or -1 to give up. */
  private option (i: number, end: number): number {
    const text = this.text
    const a = this.wa
    const len = this.wb - a
    const c0 = text.charCodeAt(a)
    if (len === 1 && c0 === 33 /* ! */) {
      if (this.invert || text.charCodeAt(a - 1) === 34) return -1
      this.invert = true
      return i
    }
    if (c0 !== 45 || len < 2 || text.charCodeAt(a - 1) === 34) return -1
    const c1 = text.charCodeAt(a + 1)
    if (len === 2) {
      if (c1 === 115 /* s */ || c1 === 100 /* d */) return this.addrOption(c1 === 115, i, end)
      if (this.invert) return -1
      if (c1 === 112 /* p */) {
        if (this.proto !== 0) return -1
        i = this.word(i, end)
        if (i < 0) return -1
        if (this.is('tcp')) this.proto = 6
        else if (this.is('udp')) this.proto = 17
        else return -1
        return i
      }
      if (c1 === 109 /* m */) return this.matchOption(i, end)
      if (c1 === 106 /* j */) return this.targetName(i, end)
      return -1
    }
    if (c1 !== 45) return -1
    if (this.is('--dport')) return this.portOption(true, i, end)
    if (this.is('--sport')) return this.portOption(false, i, end)
    return this.targetOption(i, end)
  }

  /** `[!] -s ADDR` / `[!] -d ADDR` */
  private addrOption (isSrc: boolean, i: number, end: number): number {
    if (isSrc ? this.srcSet : this.dstSet) return -1
    i = this.word(i, end)
    if (i < 0 || !this.readAddr()) return -1
    if (isSrc) {
      this.srcSet = true
      this.srcAddr = this.addr
      this.srcMask = this.mask
      this.srcInv = this.invert
    } else {
      this.dstSet = true
      this.dstAddr = this.addr
      this.dstMask = this.mask
      this.dstInv = this.invert
    }
    this.invert = false
    return i
  }

  /** `-m comment --comment TEXT`, `-m tcp|udp`, `-m statistic --mode random --probability P` */
  private matchOption (i: number, end: number): number {
    i = this.word(i, end)
    if (i < 0) return -1
    if (this.is('comment')) {
      if (this.commentB !== 0) return -1
      this.kinds |= M_COMMENT << (3 * this.nm++)
      i = this.word(i, end)
      if (i < 0 || !this.is('--comment')) return -1
      i = this.word(i, end)
      if (i < 0 || this.wb - this.wa > 255 || this.wb === this.wa) return -1
      this.commentA = this.wa
      this.commentB = this.wb
      return i
    }
    if (this.is('tcp') || this.is('udp')) {
      if (this.ports !== undefined) return -1
      this.portKind = this.is('tcp') ? M_TCP : M_UDP
      this.kinds |= this.portKind << (3 * this.nm++)
      this.ports = {}
      return i
    }
    if (!this.is('statistic') || this.hasStat) return -1
    this.kinds |= M_STAT << (3 * this.nm++)
    i = this.word(i, end)
    if (i < 0 || !this.is('--mode')) return -1
    i = this.word(i, end)
    if (i < 0 || !this.is('random')) return -1
    i = this.word(i, end)
    if (i < 0 || !this.is('--probability')) return -1
    i = this.word(i, end)
    if (i < 0) return -1
    this.probability = this.readProbability()
    if (this.probability < 0) return -1
    this.hasStat = true
    return i
  }

  /** `-j NAME`: a typed target or a chain (verbatim targets go to the general parser) */
  private targetName (i: number, end: number): number {
    if (this.targetA >= 0) return -1
    i = this.word(i, end)
    if (i < 0) return -1
    const text = this.text
    const ta = this.wa
    const tb = this.wb
    if (tb === ta || tb - ta > 28) return -1
    for (let k = ta; k < tb; k++) {
      const c = text.charCodeAt(k)
      if (c <= 32 || c >= 127) return -1
    }
    this.targetA = ta
    this.targetB = tb
    if (tb - ta === 4 && text.startsWith('DNAT', ta)) {
      // read directly (see dnatOption); its state is made only for other options
      this.tdef = DNAT_DEF
      return i
    }
    // typed and verbatim targets have short names; anything longer is a chain
    if (tb - ta <= EXT_NAME_MAX) {
      const name = text.slice(ta, tb)
      if (VERBATIM_TARGETS.has(name)) return -1
      const def = TARGETS.get(name)
      if (def !== undefined) {
        this.tdef = def
        this.tstate = def.init()
      }
    }
    return i
  }

  /** `[!] --dport N` / `[!] --sport N` on the loaded port match or the implicit one */
  private portOption (isD: boolean, i: number, end: number): number {
    let ports = this.ports
    if (ports === undefined) {
      // the implicit protocol match, loaded by its first option
      if (this.proto === 0 || this.protoUsed) return -1
      ports = this.ports = {}
      this.portKind = this.proto === 6 ? M_TCP : M_UDP
      this.kinds |= this.portKind << (3 * this.nm++)
      this.protoUsed = true
    }
    i = this.word(i, end)
    if (i < 0) return -1
    const p = this.readPort()
    if (p < 0) return -1
    const v: Inv<PortRange> = { value: { min: p, max: p }, invert: this.invert }
    if (isD) {
      if (ports.dport !== undefined) return -1
      ports.dport = v
    } else {
      if (ports.sport !== undefined) return -1
      ports.sport = v
      this.sportFirst = ports.dport === undefined
    }
    this.invert = false
    return i
  }

  /**
   * DNAT's one `--to-destination ADDR:PORT` (what kube-proxy writes), stored as parseNatOption
   * stores it; any other DNAT option or value goes to the general parser.
   */
  private dnatOption (i: number, end: number): number {
    if (this.dnatRange !== undefined || this.invert || !this.is('--to-destination')) return -1
    i = this.word(i, end)
    if (i < 0 || !this.readAddrPort()) return -1
    this.dnatRange = { minPort: this.port, maxPort: this.port, minAddr: this.addr, maxAddr: this.addr }
    return i
  }

  /** An option of the typed target: exact names only, and none that a core or loaded match option owns. */
  private targetOption (i: number, end: number): number {
    const tdef = this.tdef
    if (tdef === DNAT_DEF) return this.dnatOption(i, end)
    if (tdef === undefined || this.invert) return -1
    const text = this.text
    const name = text.slice(this.wa + 2, this.wb)
    const o: OptDef | undefined = tdef.byName.get(name)
    if (o === undefined || CORE_NAMES.has(name) || TWO_ARG_OPTIONS.has(name)) return -1
    if (this.ports !== undefined && (this.portKind === M_TCP ? TCP_DEF : UDP_DEF).byName.has(name)) return -1
    if (this.commentB !== 0 && COMMENT_DEF.byName.has(name)) return -1
    if (this.hasStat && STATISTIC_DEF.byName.has(name)) return -1
    const seen = this.tseen
    if (seen.includes(o.id)) return -1
    this.tseen = seen.length === 0 ? [o.id] : [...seen, o.id]
    if (!o.arg) {
      tdef.parse(this.tstate, o, '', false, this.envFor())
      return i
    }
    i = this.word(i, end)
    if (i < 0) return -1
    tdef.parse(this.tstate, o, text.slice(this.wa, this.wb), false, this.envFor())
    return i
  }

  /** The rule of the line read, built as LineParser.finish builds it; null to give up. */
  private make (line: number, counters: Counters | undefined): Rule | null {
    const text = this.text
    const proto = this.proto
    // iptables-nft refuses a negated match-everything address
    if ((this.srcInv && this.srcMask === 0) || (this.dstInv && this.dstMask === 0)) return null
    if (this.ports !== undefined && proto !== (this.portKind === M_TCP ? 6 : 17)) return null
    let target: Target | null = null
    const tdef = this.tdef
    if (tdef === DNAT_DEF) {
      // what dnatTarget.finish checks: ports need a port protocol (only tcp/udp get here), the nat
      // table, and no built-in chain of another hook than PREROUTING/OUTPUT
      const range = this.dnatRange
      if (range === undefined || proto === 0 || this.table !== 'nat' || this.wrongDnatHook()) return null
      if (this.validateOnly) return this.validated('DNAT')
      target = { kind: 'DNAT', ranges: [range], random: false, persistent: false }
    } else if (tdef !== undefined) {
      const env = this.envFor()
      checkOptionFlags(tdef, this.tseen, env)
      target = tdef.finish(this.tstate, env) as Target
    }
    if (this.validateOnly) return this.validated(target === null ? null : target.kind)
    // from here on nothing gives up: the shared tables change only for rules that are kept.
    // (rule.ts's mergePortMatches changes nothing here: one port match at most, single ports only)
    const share = this.share
    const nm = this.nm
    let matches: Match[]
    if (nm === 0) {
      matches = share !== null ? share.matchList(NO_MATCHES, 0, 0) : []
    } else {
      const list = this.list
      let hash = 0
      for (let k = 0; k < nm; k++) {
        const kind = (this.kinds >> (3 * k)) & 7
        let m: Match
        if (kind === M_COMMENT) {
          m = share !== null ? share.commentAt(text, this.commentA, this.commentB) : { kind: 'comment', comment: text.slice(this.commentA, this.commentB) }
        } else {
          m = kind === M_STAT
            ? { kind: 'statistic', mode: 'random', probability: this.probability, invert: false }
            : portMatch(kind === M_TCP ? 'tcp' : 'udp', this.ports!, this.sportFirst)
          if (share !== null) m = share.match(m)
        }
        list[k] = m
        if (share !== null) hash = hash < 0 || share.lastId === 0 ? -1 : (Math.imul(hash, 0x9e3779b1) + share.lastId) & 0x7fffffff
      }
      // (an exact-size copy: a list grown one by one would keep room for 16)
      matches = share === null ? exactList(list, nm) : share.matchList(list, nm, hash)
    }
    this.jumps = false
    if (this.targetA >= 0) {
      if (tdef === undefined) {
        const a = this.targetA
        const b = this.targetB
        target = this.preset ?? this.chains?.jump(text, a, b) ?? null
        this.checked = target !== null
        if (target === null) target = share !== null ? share.jumpAt(text, a, b) : { kind: 'jump', chain: text.slice(a, b) }
        this.jumps = true
      } else if (share !== null && tdef !== DNAT_DEF) target = share.target(target!)
    }
    const src = this.srcSet && (this.srcMask !== 0 || this.srcAddr !== 0 || this.srcInv)
      ? (share !== null ? share.addr(this.srcAddr, this.srcMask, this.srcInv) : addrMatch(this.srcAddr, this.srcMask, this.srcInv))
      : undefined
    const dst = this.dstSet && (this.dstMask !== 0 || this.dstAddr !== 0 || this.dstInv)
      ? (share !== null ? share.addr(this.dstAddr, this.dstMask, this.dstInv) : addrMatch(this.dstAddr, this.dstMask, this.dstInv))
      : undefined
    const pr = proto === 0 ? undefined : share !== null ? share.proto(proto, false) : proto === 6 ? TCP_PROTO : UDP_PROTO
    const rule = newRule(matches, target, line, src, dst, pr)
    if (counters !== undefined) rule.counters = counters
    return rule
  }

  /**
   * Validating mode: what the rule built from here on would be, as far as the parse and prepare ask
   * (see the fields). `kind`: the typed target's, if any.
   */
  private validated (kind: string | null): Rule {
    this.jumps = false
    this.targetKind = kind
    if (this.targetA >= 0 && this.tdef === undefined) {
      // a chain: as in make, the jump is known valid when the index has the user chain
      this.jumpTarget = this.chains?.jump(this.text, this.targetA, this.targetB)
      this.checked = this.jumpTarget !== undefined
      this.jumps = true
    } else this.jumpTarget = undefined
    // indexKeyOf of the rule: a protocol (never negated here), no source, at most an exact
    // destination, and one port match with a single, not negated --dport and nothing else
    this.keyPort = -1
    const src = this.srcSet && (this.srcMask !== 0 || this.srcAddr !== 0 || this.srcInv)
    const dst = this.dstSet && (this.dstMask !== 0 || this.dstAddr !== 0 || this.dstInv)
    const ports = this.ports
    if (this.proto !== 0 && !src && !this.hasStat && ports !== undefined && ports.sport === undefined &&
      ports.dport !== undefined && !ports.dport.invert && (!dst || (!this.dstInv && this.dstMask === 0xffffffff))) {
      this.keyPort = ports.dport.value.min
      this.keyProto = this.proto
      this.keyAnyDst = !dst
      this.keyDst = this.dstAddr | 0
    }
    return VALID
  }

  /** is the rule's chain INPUT, FORWARD or POSTROUTING */
  private wrongDnatHook (): boolean {
    const a = this.chainStart
    const n = this.chainEnd - a
    const text = this.text
    return (n === 5 && text.startsWith('INPUT', a)) || (n === 7 && text.startsWith('FORWARD', a)) || (n === 11 && text.startsWith('POSTROUTING', a))
  }

  private envFor (): ParseEnv {
    const env = this.env
    const a = this.chainStart
    const b = this.chainEnd
    env.table = this.table
    if (env.chain.length !== b - a || !this.text.startsWith(env.chain, a)) env.chain = this.text.slice(a, b)
    env.proto = this.proto === 0 ? undefined : this.proto
    env.protoInvert = false
    return env
  }

}

/** `{ kind, ...ports }` with the keys in the order the options came */
function portMatch (kind: 'tcp' | 'udp', p: PortState, sportFirst: boolean): Match {
  const { sport, dport } = p
  if (sport === undefined) return dport === undefined ? { kind } : { kind, dport }
  if (dport === undefined) return { kind, sport }
  return sportFirst ? { kind, sport, dport } : { kind, dport, sport }
}

/**
 * A rule as the general parser makes it: the three fields, then the optional ones in its order, so
 * that rules from both paths have the same hidden classes (the evaluator's property reads stay as
 * fast as they were; one literal per shape made prepare measurably slower).
 */
function newRule (matches: Match[], target: Target | null, line: number, src: AddrMatch | undefined, dst: AddrMatch | undefined, pr: ProtoMatch | undefined): Rule {
  const rule: Rule = { matches, target, line }
  if (src !== undefined) rule.source = src
  if (dst !== undefined) rule.destination = dst
  if (pr !== undefined) rule.protocol = pr
  return rule
}

function addrMatch (addr: number, mask: number, invert: boolean): AddrMatch {
  return { addr, mask, invert }
}
