/** Standard verdicts and the REJECT, LOG, TRACE, NOTRACK and CT targets. */

import type { RejectWith, Target } from '../model.ts'
import { defineExt, kernelRefuses, opt, type ExtDef, type ParseEnv } from './ext.ts'

export { kernelRefuses }

const BUILTIN_NAMES = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'])

/** true when the rule sits in a built-in chain that is not one of `hooks` */
export function wrongHook (env: ParseEnv, hooks: string[]): boolean {
  return BUILTIN_NAMES.has(env.chain) && !hooks.includes(env.chain)
}

function verdict (name: 'ACCEPT' | 'DROP' | 'RETURN' | 'QUEUE'): ExtDef {
  return defineExt({
    name,
    options: [],
    init: () => ({}),
    parse () {},
    finish (_s, env): Target {
      if (name === 'DROP' && env.table === 'nat') {
        return env.fail('The "nat" table is not intended for filtering, the use of DROP is therefore inhibited.', 'E_RULE')
      }
      return { kind: name }
    }
  })
}

export const acceptTarget = verdict('ACCEPT')
export const dropTarget = verdict('DROP')
export const returnTarget = verdict('RETURN')
export const queueTarget = verdict('QUEUE')

/** REJECT types: canonical name and alias, in libipt_REJECT table order. */
const REJECT_TYPES: Array<[RejectWith, string]> = [
  ['icmp-net-unreachable', 'net-unreach'],
  ['icmp-host-unreachable', 'host-unreach'],
  ['icmp-proto-unreachable', 'proto-unreach'],
  ['icmp-port-unreachable', 'port-unreach'],
  ['icmp-net-prohibited', 'net-prohib'],
  ['icmp-host-prohibited', 'host-prohib'],
  ['tcp-reset', 'tcp-rst'],
  ['icmp-admin-prohibited', 'admin-prohib']
]

interface RejectS { with: RejectWith }

export const rejectTarget = defineExt({
  name: 'REJECT',
  options: [opt('reject-with', 'with', true, false)],
  init: (): RejectS => ({ with: 'icmp-port-unreachable' }),
  parse (s: RejectS, _o, arg, _i, env) {
    const a = arg.toLowerCase()
    const hit = a.length === 0 ? undefined : REJECT_TYPES.find(([n, alias]) => n.startsWith(a) || alias.startsWith(a))
    if (hit === undefined) return env.fail(`unknown reject type "${arg}"`)
    s.with = hit[0]
  },
  finish (s: RejectS, env): Target {
    if (env.table !== 'filter' || wrongHook(env, ['INPUT', 'FORWARD', 'OUTPUT'])) return kernelRefuses(env)
    if (s.with === 'tcp-reset' && (env.proto !== 6 || env.protoInvert)) return kernelRefuses(env)
    return { kind: 'REJECT', rejectWith: s.with }
  }
})

const LOG_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug']
const LOG_LEVEL_ALIASES: Record<string, number> = { panic: 0, err: 3, warn: 4 }
/** LOG flag options in save order */
export const LOG_FLAGS = ['log-tcp-sequence', 'log-tcp-options', 'log-ip-options', 'log-uid', 'log-macdecode']

interface LogS { prefix?: string, level?: number, flags: Set<string> }

export const logTarget = defineExt({
  name: 'LOG',
  options: [
    opt('log-level', 'level', true, false),
    opt('log-prefix', 'prefix', true, false),
    ...LOG_FLAGS.map(f => opt(f, f, false, false))
  ],
  init: (): LogS => ({ flags: new Set() }),
  parse (s: LogS, o, arg, _i, env) {
    if (o.id === 'level') {
      const lower = arg.toLowerCase()
      let lv = LOG_LEVELS.indexOf(lower)
      if (lv < 0) lv = LOG_LEVEL_ALIASES[lower] ?? -1
      if (lv < 0 && /^[0-7]$/.test(arg)) lv = Number(arg)
      if (lv < 0) return env.fail(`log level "${arg}" unknown`)
      s.level = lv
    } else if (o.id === 'prefix') {
      if (arg.length === 0) return env.fail('Argument must have a minimum length of 1 characters')
      // iptables-nft 1.8.9 accepts longer prefixes and keeps the first 29 characters (seen on the real
      // tools; iptables-legacy refuses them with "Maximum prefix length 29 for --log-prefix").
      s.prefix = arg.length > 29 ? arg.slice(0, 29) : arg
    } else s.flags.add(o.id)
  },
  finish (s: LogS): Target {
    const t: Target = { kind: 'LOG', flags: LOG_FLAGS.filter(f => s.flags.has(f)) }
    if (s.prefix !== undefined) t.prefix = s.prefix
    if (s.level !== undefined) t.level = s.level
    return t
  }
})

/** TRACE: iptables-nft turns it into `meta nftrace set 1`, accepted in any table [exp]. */
export const traceTarget = defineExt({
  name: 'TRACE',
  options: [],
  init: () => ({}),
  parse () {},
  finish (): Target {
    return { kind: 'TRACE' }
  }
})

/** NOTRACK: raw table only (the kernel refuses it elsewhere) [exp]. */
export const notrackTarget = defineExt({
  name: 'NOTRACK',
  options: [],
  init: () => ({}),
  parse () {},
  finish (_s, env): Target {
    if (env.table !== 'raw') return kernelRefuses(env)
    return { kind: 'NOTRACK' }
  }
})

interface CtS { notrack: boolean, args: string[] }

export const ctTarget = defineExt({
  name: 'CT',
  options: [
    opt('notrack', 'notrack', false, false),
    opt('helper', 'helper', true, false),
    opt('ctevents', 'ctevents', true, false),
    opt('expevents', 'expevents', true, false),
    opt('zone-orig', 'zone-orig', true, false),
    opt('zone-reply', 'zone-reply', true, false),
    opt('zone', 'zone', true, false),
    opt('timeout', 'timeout', true, false)
  ],
  init: (): CtS => ({ notrack: false, args: [] }),
  parse (s: CtS, o, arg) {
    if (o.id === 'notrack') s.notrack = true
    else s.args.push(`--${o.name}`, arg)
  },
  finish (s: CtS, env): Target {
    if (env.table !== 'raw') return kernelRefuses(env)
    return { kind: 'CT', notrack: s.notrack, args: s.args }
  }
})
