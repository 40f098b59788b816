/**
 * Extension (match/target module) definitions used by the rule parser: a precomputed option table per
 * module plus parse/finish callbacks. One definition per module; per-rule state is a plain object.
 */

import type { TableName } from '../model.ts'
import type { NetfilterErrorCode } from '../errors.ts'

export interface OptDef {
  /** long option name without `--` */
  name: string
  /** identity shared by aliases (e.g. `sport` and `source-port`) */
  id: string
  /** takes an argument */
  arg: boolean
  /** may be preceded by `!` */
  invert: boolean
  /** may be given more than once in one instance */
  repeat?: boolean
  /** ids this option cannot be combined with (checked at the end, in table order) */
  excl?: string[]
  /** ids this option requires */
  also?: string[]
  /** must be present */
  required?: boolean
  /** custom "given twice" message */
  onceMsg?: string
}

/** What an extension sees of the rule being parsed. */
export interface ParseEnv {
  table: TableName
  chain: string
  /** the rule's `-p` value (undefined when absent or `all`) */
  proto: number | undefined
  protoInvert: boolean
  /** batch operation name of the command: APPEND, INSERT, REPLACE, DELETE, CHECK */
  ruleOp: string
  fail: (reason: string, code?: NetfilterErrorCode) => never
}

/**
 * The environment a parser hands to extensions, rewritten for each rule; `fail` is the parser's own
 * (an error at its position, or the fast path giving the line back to the general parser).
 */
export class RuleEnv implements ParseEnv {
  table: TableName = 'filter'
  chain = ''
  proto: number | undefined
  protoInvert = false
  ruleOp = 'APPEND'
  readonly fail: (reason: string, code?: NetfilterErrorCode) => never

  constructor (fail: (reason: string, code?: NetfilterErrorCode) => never) {
    this.fail = fail
    // these change per rule: say so now, so the fields are not specialised to their first values
    this.table = 'nat'
    this.chain = '-'
    this.proto = 0
    this.protoInvert = true
  }
}

/** The kernel's refusal of a rule, worded like iptables-nft (`RULE_APPEND failed (Invalid argument): rule in chain X`). */
export function kernelRefuses (env: ParseEnv, errno = 'Invalid argument'): never {
  return env.fail(`RULE_${env.ruleOp} failed (${errno}): rule in chain ${env.chain}`, 'E_RULE')
}

export interface ExtDef<S = any, R = any> {
  name: string
  options: OptDef[]
  /** option lookup by exact name (filled by `defineExt`) */
  byName: Map<string, OptDef>
  /** canonical options carrying also/excl/required checks (filled by `defineExt`) */
  checked: OptDef[]
  init: () => S
  parse: (s: S, opt: OptDef, arg: string, invert: boolean, env: ParseEnv) => void
  finish: (s: S, env: ParseEnv) => R
}

export function defineExt<S, R> (def: Omit<ExtDef<S, R>, 'byName' | 'checked'>): ExtDef<S, R> {
  const byName = new Map<string, OptDef>()
  for (const o of def.options) byName.set(o.name, o)
  const checked = def.options.filter(o => def.options.find(x => x.id === o.id) === o &&
    (o.also !== undefined || o.excl !== undefined || o.required === true))
  return { ...def, byName, checked }
}

/** Canonical (first declared) option name for an id. */
export function optName (def: ExtDef, id: string): string {
  for (const o of def.options) if (o.id === id) return o.name
  return id
}

/** The generic xtables option checks done after the last option: excl, also, required. */
export function checkOptionFlags (def: ExtDef, seen: readonly string[], env: ParseEnv): void {
  if (def.checked.length === 0) return
  for (const o of def.checked) {
    if (!seen.includes(o.id)) continue
    if (o.also !== undefined) {
      for (const a of o.also) {
        if (!seen.includes(a)) return env.fail(`${def.name}: option "--${o.name}" also requires "--${optName(def, a)}".`)
      }
    }
    if (o.excl !== undefined) {
      for (const other of def.options) {
        if (other.id !== o.id && other.name === optName(def, other.id) && o.excl.includes(other.id) && seen.includes(other.id)) {
          return env.fail(`${def.name}: option "--${o.name}" cannot be used together with "--${other.name}".`)
        }
      }
    }
  }
  for (const o of def.checked) {
    if (o.required === true && !seen.includes(o.id)) return env.fail(`${def.name}: option "--${o.name}" must be specified`)
  }
}

export function badInt (env: ParseEnv, ext: string, opt: string): never {
  return env.fail(`${ext}: bad integer value for option "--${opt}", or out of range.`)
}

export function opt (name: string, id: string, arg: boolean, invert: boolean, extra?: Partial<OptDef>): OptDef {
  return { name, id, arg, invert, ...extra }
}
