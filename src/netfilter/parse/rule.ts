/**
 * Parse one iptables command line (a restore rule line without the program name), emulating
 * iptables' `do_parse` + getopt_long: long-option abbreviations across core and loaded extension
 * options, `--opt=value`, `!` negation, implicit protocol matches, comma address lists.
 */

import type { AddrMatch, Counters, IfaceMatch, Match, Rule, TableName, Target } from '../model.ts'
import { NetfilterError, type NetfilterErrorCode } from '../errors.ts'
import { parseAddrMask } from '../addr.ts'
import { parseProtocol, protocolModule } from '../protocols.ts'
import { checkOptionFlags, kernelRefuses, optName, RuleEnv, type ExtDef, type OptDef, type ParseEnv } from './ext.ts'
import { MATCHES, TARGETS, VERBATIM_MATCHES, VERBATIM_TARGETS, isTargetName } from './registry.ts'
import { TWO_ARG_OPTIONS } from './match-tcpudp.ts'
import { exactList, SharedValues } from './share.ts'

export type CommandOp = 'A' | 'D' | 'I' | 'R' | 'C' | 'N' | 'X' | 'F' | 'Z' | 'P' | 'E'

export interface ParsedCommand {
  op: CommandOp
  chain?: string
  /** rule number for -I/-D/-R/-Z (1-based) */
  num?: number
  /** -P policy or -E new name */
  arg2?: string
  /** expanded rules (-A/-I/-R/-C/-D by spec) */
  rules: Rule[]
  /** the rules jump/goto to a chain (checked at COMMIT) */
  jumps: boolean
  column: number
}

interface CoreOpt { code: string, arg: boolean }

const CORE_LONG: Array<[string, string, boolean]> = [
  ['append', 'A', true], ['delete', 'D', true], ['check', 'C', true], ['insert', 'I', true], ['replace', 'R', true],
  ['list', 'L', false], ['list-rules', 'S', false], ['flush', 'F', false], ['zero', 'Z', false],
  ['new-chain', 'N', true], ['delete-chain', 'X', false], ['rename-chain', 'E', true], ['policy', 'P', true],
  ['source', 's', true], ['src', 's', true], ['destination', 'd', true], ['dst', 'd', true],
  ['protocol', 'p', true], ['in-interface', 'i', true], ['out-interface', 'o', true], ['jump', 'j', true],
  ['goto', 'g', true], ['match', 'm', true], ['fragments', 'f', false], ['set-counters', 'c', true],
  ['table', 't', true], ['ipv4', '4', false], ['ipv6', '6', false], ['verbose', 'v', false], ['numeric', 'n', false],
  ['exact', 'x', false], ['line-numbers', '0', false], ['modprobe', 'M', true], ['wait', 'w', false],
  ['wait-interval', 'W', true], ['version', 'V', false], ['help', 'h', false]
]
const CORE_BY_LONG = new Map<string, CoreOpt>(CORE_LONG.map(([n, code, arg]) => [n, { code, arg }]))
/** shared, read-only lookup results for exact core long names (no allocation per option) */
const CORE_RESOLVED = new Map<string, { core: CoreOpt }>([...CORE_BY_LONG].map(([n, core]) => [n, { core }]))
const CORE_SHORT = new Map<string, CoreOpt>([
  ['A', true], ['D', true], ['C', true], ['I', true], ['R', true], ['L', false], ['S', false], ['F', false],
  ['Z', false], ['N', true], ['X', false], ['E', true], ['P', true], ['s', true], ['d', true], ['p', true],
  ['i', true], ['o', true], ['j', true], ['g', true], ['m', true], ['f', false], ['c', true], ['t', true],
  ['4', false], ['6', false], ['v', false], ['n', false], ['x', false], ['w', false], ['W', true], ['V', false],
  ['h', false], ['M', true]
].map(([c, arg]) => [c as string, { code: c as string, arg: arg as boolean }]))

const COMMANDS = new Set(['A', 'D', 'C', 'I', 'R', 'L', 'S', 'F', 'Z', 'N', 'X', 'E', 'P'])
const RULE_OPS: Record<string, string> = { A: 'APPEND', I: 'INSERT', R: 'REPLACE', D: 'DELETE', C: 'CHECK' }
const OUT_ONLY = new Set(['OUTPUT', 'POSTROUTING'])
const IN_ONLY = new Set(['PREROUTING', 'INPUT'])

interface Instance {
  name: string
  def: ExtDef | null
  state: any
  seen: string[]
  /** verbatim tokens for unmodelled extensions */
  args?: string[]
}

type Resolved = { core: CoreOpt } | { inst: Instance, opt: OptDef }

/** the `seen` list of an instance before its first option (shared, never modified) */
const NO_SEEN: string[] = []

/**
 * Scratch result for exact extension-option lookups: `resolve` fills and returns it, and its caller
 * reads it before the next lookup (saves one allocation per option).
 */
const EXT_HIT: { inst: Instance, opt: OptDef } = { inst: null as unknown as Instance, opt: null as unknown as OptDef }

interface TargetSlot {
  name: string
  isGoto: boolean
  inst: Instance | null
  column: number
}

export interface LineContext {
  table: TableName
  line: number
  /** keep rule counters (`-c` / `[p:b]`) */
  counters?: boolean
  /** accept kube-proxy test-fixture style unquoted multi-word `--comment` values */
  lenient?: boolean
}

/** Convert a parsed command line's tokens into a command with its expanded rules. Returns null for `-6` lines. */
export function parseCommandLine (tokens: string[], columns: number[], ctx: LineContext, counters?: Counters): ParsedCommand | null {
  return new LineParser(tokens, columns, tokens.length, ctx, null, counters).run()
}

/**
 * The command-line parser for all lines of one ruleset text: equal rule parts (comments, ports, jump
 * targets, ...) come out as shared objects (see share.ts). The per-line parser object stays a fresh,
 * short-lived one on purpose: reusing a long-lived one would pay V8's write barrier on every field
 * store of a new token or object.
 */
export class CommandParser {
  /** the value sharing of this parse (null for small texts); the fast path (fast.ts) uses it too */
  readonly shared: SharedValues | null
  /**
   * `textLength`: size of the whole text. Sharing pays off on large texts (whole node rulesets); a
   * small one has little to share on its own, but the many small texts of one node (one per Service)
   * can share one table (`shared`).
   */
  constructor (private readonly ctx: LineContext, textLength: number, shared?: SharedValues) {
    this.shared = shared ?? (textLength >= 16384 ? new SharedValues(textLength) : null)
  }

  /** Parse the first `n` tokens (`ctx.line` and `ctx.table` set by the caller). */
  parse (tokens: string[], columns: number[], n: number, counters?: Counters): ParsedCommand | null {
    return new LineParser(tokens, columns, n, this.ctx, this.shared, counters).run()
  }
}

/** `--name` → `name` for every option name the parser knows (saves a substring per option token). */
const LONG_NAMES = new Map<string, string>()
for (const [n] of CORE_LONG) LONG_NAMES.set('--' + n, n)
for (const defs of [MATCHES, TARGETS]) for (const d of defs.values()) for (const o of d.options) LONG_NAMES.set('--' + o.name, o.name)

class LineParser {
  private i = 0
  private col = 1
  private tok: string | undefined
  private invert = false
  private op: CommandOp | undefined
  private opColumn = 1
  private chain: string | undefined
  private num: number | undefined
  private arg2: string | undefined
  private src: Array<{ addr: number, mask: number }> | undefined
  private srcInv = false
  private dst: Array<{ addr: number, mask: number }> | undefined
  private dstInv = false
  private inIface: IfaceMatch | undefined
  private outIface: IfaceMatch | undefined
  private protoSeen = false
  private proto: number | undefined
  private protoInv = false
  private protoUsed = false
  private fragment: { invert: boolean } | undefined
  /** loaded match instances: the first `nm` entries */
  private readonly matches: Instance[] = []
  private nm = 0
  /** distinct match modules in first-load order */
  private readonly moduleOrder: string[] = []
  private nmo = 0
  private target: TargetSlot | undefined
  /** the most recent unmodelled extension: it receives options nobody else owns */
  private openVerbatim: Instance | null = null
  private ipv6 = false
  /** the last lookup matched several options (getopt: ambiguous → unknown option) */
  private ambiguous = false
  /** comment state just written (lenient mode glues following bare words to it) */
  private lastComment: { comment?: string } | null = null
  private counters: Counters | undefined

  /** the first `n` of `tokens` are the line's */
  constructor (private readonly tokens: string[], private readonly columns: number[], private readonly n: number,
    private readonly ctx: LineContext, private readonly share: SharedValues | null, counters?: Counters) {
    this.counters = counters
  }

  fail (reason: string, code: NetfilterErrorCode = 'E_PARSE'): never {
    throw new NetfilterError({ code, reason, line: this.ctx.line, column: this.col, token: this.tok })
  }

  private next (): string | undefined {
    if (this.i >= this.n) return undefined
    this.col = this.columns[this.i]
    this.tok = this.tokens[this.i]
    this.i++
    return this.tok
  }

  private peekPlain (): string | undefined {
    if (this.i >= this.n) return undefined
    const t = this.tokens[this.i]
    if (t.length === 0 || t[0] === '-' || t === '!') return undefined
    return t
  }

  private requireArg (display: string): string {
    const a = this.next()
    if (a === undefined) this.fail(`option "${display}" requires an argument`)
    return a
  }

  run (): ParsedCommand | null {
    for (let t = this.next(); t !== undefined; t = this.next()) {
      if (t === '!') {
        if (this.invert) this.fail('multiple consecutive ! not allowed')
        this.invert = true
        continue
      }
      if (t.length >= 2 && t.charCodeAt(0) === 45) this.lastComment = null
      if (t.length >= 2 && t.charCodeAt(0) === 45 && t.charCodeAt(1) === 45) {
        if (t.length === 2) this.fail(`Bad argument \`${t}'`)
        this.longOption(t)
      } else if (t.length >= 2 && t.charCodeAt(0) === 45) {
        this.shortOptions(t)
      } else if (this.ctx.lenient === true && this.lastComment !== null) {
        this.lastComment.comment += ' ' + t
        continue
      } else {
        this.fail(`Bad argument \`${t}'`)
      }
      if (this.ipv6) return null
    }
    if (this.invert) this.fail('Bad argument `!\'')
    return this.finish()
  }

  private shortOptions (t: string): void {
    for (let k = 1; k < t.length; k++) {
      const c = t[k]
      const core = CORE_SHORT.get(c)
      if (core === undefined) this.fail(`unknown option "${t}"`)
      let arg: string | undefined
      if (core.arg) {
        if (k !== t.length - 1) this.fail(`unknown option "${t}"`)
        arg = this.requireArg(`-${c}`)
      }
      this.coreOption(core.code, arg)
    }
  }

  private longOption (t: string): void {
    const eq = t.indexOf('=')
    const name = eq < 0 ? (LONG_NAMES.get(t) ?? t.slice(2)) : t.slice(2, eq)
    const inline = eq < 0 ? undefined : t.slice(eq + 1)
    this.ambiguous = false
    let r: Resolved | { verbatim: Instance } | null = this.resolve(name)
    if (this.ambiguous) this.fail(`unknown option "${t}"`)
    if (r === null && this.proto !== undefined && !this.protoInv && !this.protoUsed) {
      // implicit protocol match: load it here and look again (undo if it does not own the option)
      const mod = protocolModule(this.proto)
      // an unmodelled protocol module only takes the option when no other unmodelled extension could own it
      const usable = mod !== undefined && (MATCHES.has(mod) || this.openVerbatim === null)
      if (mod !== undefined && usable && !this.hasMatch(mod)) {
        const inst = this.newMatch(mod)
        this.protoUsed = true
        r = this.resolve(name)
        if (r === null && inst.def !== null) {
          this.nm--
          if (!this.hasMatch(mod)) this.nmo--
          this.protoUsed = false
        } else if (r === null) {
          r = { verbatim: inst }
        }
      }
    }
    if (r === null && this.openVerbatim !== null && !this.ambiguous) r = { verbatim: this.openVerbatim }
    if (r === null) this.fail(`unknown option "${t}"`)
    if ('core' in r) {
      let arg: string | undefined
      if (r.core.arg) arg = inline ?? this.requireArg(`--${name}`)
      else if (inline !== undefined) this.fail(`option "--${name}" doesn't allow an argument`)
      this.coreOption(r.core.code, arg)
      return
    }
    if ('verbatim' in r) {
      const args = r.verbatim.args!
      if (this.invert) { args.push('!'); this.invert = false }
      args.push(eq < 0 ? t : t.slice(0, eq))
      if (inline !== undefined) args.push(inline)
      else for (let v = this.peekPlain(); v !== undefined; v = this.peekPlain()) args.push(this.next()!)
      return
    }
    this.extOption(r.inst, r.opt, inline)
  }

  /** getopt_long lookup: exact name first, else a unique prefix over core + loaded extension options. */
  private resolve (name: string): Resolved | null {
    const exact = CORE_RESOLVED.get(name)
    if (exact !== undefined) return exact
    // getopt sees each module's options once, newest module first; a repeated `-m` reuses them
    for (let k = this.nmo - 1; k >= 0; k--) {
      const def = MATCHES.get(this.moduleOrder[k])
      const o = def?.byName.get(name)
      if (o !== undefined) {
        EXT_HIT.inst = this.latest(def!.name)
        EXT_HIT.opt = o
        return EXT_HIT
      }
    }
    const ti = this.target?.inst
    const to = ti?.def?.byName.get(name)
    if (ti != null && to !== undefined) {
      EXT_HIT.inst = ti
      EXT_HIT.opt = to
      return EXT_HIT
    }
    if (name.length === 0) return null
    // unique prefix
    let found: { core: CoreOpt } | { inst: Instance, opt: OptDef } | null = null
    let key = ''
    let ambiguous = false
    const consider = (k: string, v: { core: CoreOpt } | { inst: Instance, opt: OptDef }): void => {
      if (found === null) { found = v; key = k } else if (k !== key) ambiguous = true
    }
    for (const [n, c] of CORE_LONG) if (n.startsWith(name)) consider('core:' + c, { core: CORE_BY_LONG.get(n)! })
    const doneModules = new Set<string>()
    for (let k = this.nm - 1; k >= 0; k--) {
      const m = this.matches[k]
      if (m.def === null || doneModules.has(m.name)) continue
      doneModules.add(m.name)
      for (const o of m.def.options) if (o.name.startsWith(name)) consider(`m:${m.name}:${o.id}`, { inst: m, opt: o })
    }
    if (ti != null && ti.def !== null) {
      for (const o of ti.def.options) if (o.name.startsWith(name)) consider(`t:${o.id}`, { inst: ti, opt: o })
    }
    if (ambiguous) this.ambiguous = true
    return ambiguous ? null : found
  }

  private latest (name: string): Instance {
    for (let k = this.nm - 1; k >= 0; k--) if (this.matches[k].name === name) return this.matches[k]
    throw new Error('unreachable')
  }

  private newMatch (name: string): Instance {
    const def = MATCHES.get(name) ?? null
    const inst: Instance = { name, def, state: def?.init(), seen: NO_SEEN }
    let known = false
    for (let k = 0; k < this.nmo && !known; k++) known = this.moduleOrder[k] === name
    if (!known) this.moduleOrder[this.nmo++] = name
    if (def === null) {
      inst.args = []
      this.openVerbatim = inst
    }
    this.matches[this.nm++] = inst
    return inst
  }

  private hasMatch (name: string): boolean {
    for (let k = 0; k < this.nm; k++) if (this.matches[k].name === name) return true
    return false
  }

  private extOption (inst: Instance, o: OptDef, inline: string | undefined): void {
    const def = inst.def!
    const env = this.env()
    if (this.invert && !o.invert) this.fail(`${def.name}: option "--${o.name}" cannot be inverted.`)
    if (o.repeat !== true && inst.seen.includes(o.id)) {
      this.fail(o.onceMsg ?? `${def.name}: option "--${optName(def, o.id)}" can only be used once.`)
    }
    let arg = ''
    if (o.arg) {
      arg = inline ?? this.requireArg(`--${o.name}`)
      if (TWO_ARG_OPTIONS.has(o.name)) {
        const second = this.next()
        if (second === undefined) this.fail(`--${o.name} requires two args.`)
        arg = arg + '\u0000' + second
      }
    } else if (inline !== undefined) this.fail(`option "--${o.name}" doesn't allow an argument`)
    // `seen` starts as the shared empty list and is replaced, never changed (most instances see one option)
    if (o.repeat !== true || !inst.seen.includes(o.id)) inst.seen = inst.seen.length === 0 ? [o.id] : [...inst.seen, o.id]
    def.parse(inst.state, o, arg, this.invert, env)
    this.invert = false
    if (def.name === 'comment') this.lastComment = inst.state
  }

  private envObj: RuleEnv | undefined

  private env (): ParseEnv {
    const e = this.envObj ?? (this.envObj = new RuleEnv((reason, code) => this.fail(reason, code)))
    e.table = this.ctx.table
    e.chain = this.chain ?? ''
    e.proto = this.proto
    e.protoInvert = this.protoInv
    e.ruleOp = RULE_OPS[this.op ?? 'A'] ?? 'APPEND'
    return e
  }

  private noInvert (code: string): void {
    if (this.invert) this.fail(`cannot have ! before -${code}`)
  }

  private setCommand (code: string, arg: string | undefined): void {
    if (this.invert) this.fail('unexpected \'!\' flag')
    if (this.op !== undefined) this.fail(`Cannot use -${code} with -${this.op}`)
    if (code === 'L' || code === 'S') this.fail(`Illegal option \`-${code}' in iptables-restore`)
    this.op = code as CommandOp
    this.opColumn = this.col
    if (arg !== undefined) this.chain = this.chainArg(arg)
    switch (code) {
      case 'Z': {
        const c = this.peekPlain()
        if (c !== undefined && !/^[0-9]+$/.test(c)) this.chain = this.chainArg(this.next()!)
        const n = this.peekPlain()
        if (n !== undefined && /^[0-9]+$/.test(n)) { this.next(); this.num = this.ruleNum(n) }
        break
      }
      case 'D': case 'I': {
        const n = this.peekPlain()
        if (n !== undefined && /^[0-9]+$/.test(n)) {
          this.next()
          this.num = this.ruleNum(n)
        }
        break
      }
      case 'R': {
        const n = this.next()
        if (n === undefined || !/^[0-9]+$/.test(n)) this.fail('-R requires a rule number')
        this.num = this.ruleNum(n)
        break
      }
      case 'F': case 'X': {
        const c = this.peekPlain()
        if (c !== undefined) this.chain = this.chainArg(this.next()!)
        if (code === 'F') {
          const n = this.peekPlain()
          if (n !== undefined && /^[0-9]+$/.test(n)) this.fail(`Bad argument \`${n}'`)
        }
        break
      }
      case 'P': {
        const p = this.next()
        if (p === undefined) this.fail('-P requires a chain and a policy')
        this.arg2 = p
        break
      }
      case 'E': {
        const n = this.next()
        if (n === undefined) this.fail('-E requires old-chain-name and new-chain-name')
        this.arg2 = this.chainArg(n)
        break
      }
    }
  }

  private ruleNum (s: string): number {
    const n = Number(s)
    if (!Number.isSafeInteger(n) || n < 1) this.fail(`Invalid rule number \`${s}'`)
    return n
  }

  private chainArg (name: string): string {
    if (name.length > 28) this.fail(`chain name \`${name}' too long (must be under 29 chars)`)
    return name
  }

  private coreOption (code: string, arg: string | undefined): void {
    if (COMMANDS.has(code)) return this.setCommand(code, arg)
    switch (code) {
      case 's': case 'd': {
        if ((code === 's' ? this.src : this.dst) !== undefined) this.fail(`multiple -${code} flags not allowed`)
        let list: Array<{ addr: number, mask: number }> = []
        if (arg!.indexOf(',') < 0) {
          const r = parseAddrMask(arg!, true)
          if ('error' in r) this.fail(r.error)
          list = [r]
        } else {
          for (const item of arg!.split(',')) {
            const r = parseAddrMask(item, true)
            if ('error' in r) this.fail(r.error)
            list.push(r)
          }
        }
        if (list.length > 1 && this.invert) this.fail('! not allowed with multiple source or destination IP addresses')
        if (code === 's') { this.src = list; this.srcInv = this.invert }
        else { this.dst = list; this.dstInv = this.invert }
        break
      }
      case 'p': {
        if (this.protoSeen) this.fail('multiple -p flags not allowed')
        const p = parseProtocol(arg!)
        if (p === null) this.fail(`unknown protocol "${arg!.toLowerCase()}" specified`)
        if (p === 0 && this.invert) this.fail('rule would never match protocol')
        this.protoSeen = true
        this.proto = p === 0 ? undefined : p
        this.protoInv = this.invert
        break
      }
      case 'i': case 'o': {
        if ((code === 'i' ? this.inIface : this.outIface) !== undefined) this.fail(`multiple -${code} flags not allowed`)
        const name = arg!
        if (name.length === 0) this.fail('Empty interface is likely to be undesired')
        if (name.length >= 16) this.fail(`interface name \`${name}' must be shorter than IFNAMSIZ (15)`)
        if (code === 'i') this.inIface = { name, invert: this.invert }
        else this.outIface = { name, invert: this.invert }
        break
      }
      case 'f':
        if (this.fragment !== undefined) this.fail('multiple -f flags not allowed')
        this.fragment = { invert: this.invert }
        break
      case 'j': case 'g': {
        this.noInvert(code)
        if (this.target !== undefined) this.fail(`multiple -j flags not allowed`)
        const name = arg!
        if (name.length === 0 || name.length > 28 || (!plainAscii(name) && /\s/.test(name))) this.fail(`Invalid target name \`${name}'`)
        const def = TARGETS.get(name)
        let inst: Instance | null = null
        if (code === 'g') {
          if (def !== undefined || VERBATIM_TARGETS.has(name)) this.fail(`goto '${name}' is not a chain`)
        } else if (def !== undefined) {
          inst = { name, def, state: def.init(), seen: NO_SEEN }
        } else if (VERBATIM_TARGETS.has(name)) {
          inst = { name, def: null, state: undefined, seen: NO_SEEN, args: [] }
          this.openVerbatim = inst
        }
        this.target = { name, isGoto: code === 'g', inst, column: this.col }
        break
      }
      case 'm': {
        if (this.invert) this.fail('unexpected ! flag before --match')
        const name = arg!
        if (!MATCHES.has(name) && !VERBATIM_MATCHES.has(name)) {
          this.fail(`Couldn't load match \`${name}':No such file or directory`, 'E_UNKNOWN_MATCH')
        }
        this.newMatch(name)
        break
      }
      case 'c': {
        this.noInvert(code)
        const b = this.next()
        if (b === undefined) this.fail('-c requires packet and byte counter')
        if (!/^[0-9]{1,20}$/.test(arg!)) this.fail('-c packet counter not numeric')
        if (!/^[0-9]{1,20}$/.test(b)) this.fail('-c byte counter not numeric')
        if (this.ctx.counters === true) this.counters = { packets: BigInt(arg!), bytes: BigInt(b) }
        break
      }
      case 't':
        this.fail('The -t option cannot be used in iptables-restore.')
        break
      case '6':
        this.ipv6 = true
        break
      case '4': case 'v': case 'n': case 'x': case '0': case 'w': case 'W': case 'M':
        this.noInvert(code)
        break
      default:
        this.fail(`unknown option "-${code}"`)
    }
    this.invert = false
  }

  private finish (): ParsedCommand | null {
    this.col = this.opColumn
    this.tok = undefined
    if (this.op === undefined) this.fail('no command specified')
    const op = this.op
    const cmd: ParsedCommand = { op, chain: this.chain, num: this.num, arg2: this.arg2, rules: [], jumps: false, column: this.opColumn }
    const needsRule = op === 'A' || op === 'I' || op === 'R' || op === 'C' || (op === 'D' && this.num === undefined)
    if (!needsRule) {
      if (this.nm > 0 || this.target !== undefined || this.src !== undefined || this.dst !== undefined ||
        this.protoSeen || this.inIface !== undefined || this.outIface !== undefined || this.fragment !== undefined) {
        this.fail(`Illegal option with -${op}`)
      }
      if ((op === 'P' || op === 'E' || op === 'N') && this.chain === undefined) this.fail(`-${op} requires a chain`)
      return cmd
    }
    const chain = this.chain!
    if (this.inIface !== undefined && OUT_ONLY.has(chain)) this.fail(`Can't use -i with ${chain}`)
    if (this.outIface !== undefined && IN_ONLY.has(chain)) this.fail(`Can't use -o with ${chain}`)
    const env = this.env()
    // iptables-nft refuses a negated match-everything address [exp]
    if ((this.srcInv && this.src !== undefined && this.src[0].mask === 0) || (this.dstInv && this.dst !== undefined && this.dst[0].mask === 0)) {
      kernelRefuses(env)
    }
    const share = this.share
    const nm = this.nm
    const list: Match[] = new Array(nm)
    for (let k = 0; k < nm; k++) {
      const m = this.matches[k]
      if (m.def === null) {
        list[k] = { kind: 'unknown', module: m.name, args: m.args! }
      } else {
        checkOptionFlags(m.def, m.seen, env)
        list[k] = m.def.finish(m.state, env)
      }
    }
    let matches: Match[]
    if (nm === 0) {
      matches = share !== null ? share.matchList(list, 0, 0) : []
    } else {
      mergePortMatches(list)
      if (share === null) {
        matches = exactList(list, list.length)
      } else {
        // lists are shared by a hash of their elements' ids
        let hash = 0
        for (let k = 0; k < list.length; k++) {
          list[k] = share.match(list[k])
          hash = hash < 0 || share.lastId === 0 ? -1 : (Math.imul(hash, 0x9e3779b1) + share.lastId) & 0x7fffffff
        }
        matches = share.matchList(list, list.length, hash)
      }
    }
    let target: Target | null = null
    const t = this.target
    if (t !== undefined) {
      if (t.inst === null) {
        target = share !== null ? share.jump(t.name, t.isGoto) : t.isGoto ? { kind: 'goto', chain: t.name } : { kind: 'jump', chain: t.name }
        cmd.jumps = true
      } else if (t.inst.def === null) {
        target = { kind: 'unknown', name: t.name, args: t.inst.args! }
      } else {
        checkOptionFlags(t.inst.def, t.inst.seen, env)
        target = t.inst.def.finish(t.inst.state, env)
        if (share !== null) target = share.target(target!)
      }
    }
    const ns = this.src === undefined ? 1 : this.src.length
    const nd = this.dst === undefined ? 1 : this.dst.length
    for (let a = 0; a < ns; a++) {
      const s = this.src?.[a]
      for (let b = 0; b < nd; b++) {
        const d = this.dst?.[b]
        const rule: Rule = { matches: cmd.rules.length === 0 ? matches : matches.map(m => ({ ...m })), target, line: this.ctx.line }
        if (s !== undefined && (s.mask !== 0 || s.addr !== 0 || this.srcInv)) {
          rule.source = share !== null ? share.addr(s.addr, s.mask, this.srcInv) : addrMatch(s, this.srcInv)
        }
        if (d !== undefined && (d.mask !== 0 || d.addr !== 0 || this.dstInv)) {
          rule.destination = share !== null ? share.addr(d.addr, d.mask, this.dstInv) : addrMatch(d, this.dstInv)
        }
        if (this.inIface !== undefined) rule.inIface = share !== null ? share.iface(this.inIface.name, this.inIface.invert) : this.inIface
        if (this.outIface !== undefined) rule.outIface = share !== null ? share.iface(this.outIface.name, this.outIface.invert) : this.outIface
        if (this.proto !== undefined) rule.protocol = share !== null ? share.proto(this.proto, this.protoInv) : { proto: this.proto, invert: this.protoInv }
        if (this.fragment !== undefined) rule.fragment = this.fragment
        if (this.counters !== undefined) rule.counters = this.counters
        if (cmd.rules.length === 0) cmd.rules = [rule]
        else cmd.rules.push(rule)
      }
    }
    if (op === 'R' && cmd.rules.length > 1) this.fail('Replacement rule does not specify a unique address')
    return cmd
  }
}

/** only printable ASCII without blanks (so no `\s` character) */
function plainAscii (s: string): boolean {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k)
    if (c <= 32 || c >= 127) return false
  }
  return true
}

function addrMatch (a: { addr: number, mask: number }, invert: boolean): AddrMatch {
  return { addr: a.addr, mask: a.mask, invert }
}

/**
 * iptables-nft stores tcp/udp port and flag tests as native expressions and reads them back into a
 * single `-m tcp`/`-m udp` per rule (later values win), placed at the first such match. Instances
 * with `--tcp-option` or without any option stay where they are.
 */
function mergePortMatches (matches: Match[]): void {
  let n = 0
  for (let k = 0; k < matches.length; k++) {
    const m = matches[k]
    if (m.kind !== 'tcp' && m.kind !== 'udp') continue
    n++
    if (m.kind === 'tcp' && m.tcpOption !== undefined) continue
    if (nftPortRanges(m)) { matches.splice(k, 1); k--; n-- }
  }
  if (n < 2) return
  for (const kind of ['tcp', 'udp'] as const) {
    let first = -1
    for (let k = 0; k < matches.length; k++) {
      const m = matches[k]
      if (m.kind !== kind) continue
      const native = (m.sport !== undefined || m.dport !== undefined || (m.kind === 'tcp' && m.tcpFlags !== undefined)) &&
        !(m.kind === 'tcp' && m.tcpOption !== undefined)
      if (!native) continue
      if (first < 0) { first = k; continue }
      const into = { ...matches[first] } as typeof m
      if (m.sport !== undefined) into.sport = m.sport
      if (m.dport !== undefined) into.dport = m.dport
      if (m.kind === 'tcp' && into.kind === 'tcp' && m.tcpFlags !== undefined) into.tcpFlags = m.tcpFlags
      matches[first] = into
      matches.splice(k, 1)
      k--
    }
  }
}

/**
 * How iptables-nft stores a port test and reads it back [exp]: `! --sport 0:N` becomes
 * `--sport N+1:65535`; a full range 0:65535 is dropped (and a negated full range drops the whole
 * match when nothing else is left in it). Returns true when the match must be removed.
 */
const PORT_KEYS = ['sport', 'dport'] as const

function nftPortRanges (m: Extract<Match, { kind: 'tcp' | 'udp' }>): boolean {
  let dropMatch = false
  for (const key of PORT_KEYS) {
    const v = m[key]
    if (v === undefined) continue
    if (v.value.min === 0 && v.value.max === 65535) {
      delete m[key]
      if (v.invert) dropMatch = true
    } else if (v.invert && v.value.min === 0 && v.value.max > 0) {
      m[key] = { value: { min: v.value.max + 1, max: 65535 }, invert: false }
    }
  }
  return dropMatch && m.sport === undefined && m.dport === undefined && (m.kind !== 'tcp' || m.tcpFlags === undefined)
}

export { isTargetName }
