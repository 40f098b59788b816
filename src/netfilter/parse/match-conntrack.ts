/** conntrack (revision 3) and state matches. */

import type { AddrMatch, Inv, Match, PortRange } from '../model.ts'
import { parseAddrMask } from '../addr.ts'
import { parsePort, parseUint } from '../numbers.ts'
import { parseProtocol } from '../protocols.ts'
import { badInt, defineExt, opt, type ParseEnv } from './ext.ts'

/** ctstate names in save order, with their bits. */
export const CT_STATES: Array<[string, number]> = [
  ['INVALID', 1], ['NEW', 8], ['RELATED', 4], ['ESTABLISHED', 2], ['UNTRACKED', 16], ['SNAT', 32], ['DNAT', 64]
]
/** ctstatus names in save order */
export const CT_STATUS: Array<[string, number]> = [['EXPECTED', 1], ['SEEN_REPLY', 2], ['ASSURED', 4], ['CONFIRMED', 8]]

const PARSE_ORDER = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT']

function parseStates (arg: string, env: ParseEnv, allowed: string[], what: string): string[] {
  let bits = 0
  for (const item of arg.split(',')) {
    const up = item.toUpperCase()
    const name = item.length === 0 ? undefined : allowed.find(n => n.startsWith(up))
    if (name === undefined) return env.fail(`Bad ${what} "${item}"`)
    bits |= CT_STATES.find(([n]) => n === name)![1]
  }
  return CT_STATES.filter(([, b]) => (bits & b) !== 0).map(([n]) => n)
}

function parseStatus (arg: string, env: ParseEnv): string[] {
  let bits = 0
  for (const item of arg.split(',')) {
    const up = item.toUpperCase()
    if (up === 'NONE') continue
    const hit = CT_STATUS.find(([n]) => n === up)
    if (hit === undefined) return env.fail(`Bad ctstatus "${item}"`)
    bits |= hit[1]
  }
  return CT_STATUS.filter(([, b]) => (bits & b) !== 0).map(([n]) => n)
}

function parseCtPorts (arg: string, env: ParseEnv, name: string): PortRange {
  const colon = arg.indexOf(':')
  const a = parsePort(colon < 0 ? arg : arg.slice(0, colon))
  const b = colon < 0 ? a : parsePort(arg.slice(colon + 1))
  if (a === null || b === null || a > b) return env.fail(`conntrack: bad value for option "--${name}"`)
  return { min: a, max: b }
}

type CtS = Extract<Match, { kind: 'conntrack' }>

const ADDR_IDS = ['ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst'] as const
const PORT_IDS = ['ctorigsrcport', 'ctorigdstport', 'ctreplsrcport', 'ctrepldstport'] as const

export const conntrackMatch = defineExt({
  name: 'conntrack',
  options: [
    opt('ctstate', 'ctstate', true, true),
    opt('ctproto', 'ctproto', true, true),
    opt('ctorigsrc', 'ctorigsrc', true, true),
    opt('ctorigdst', 'ctorigdst', true, true),
    opt('ctreplsrc', 'ctreplsrc', true, true),
    opt('ctrepldst', 'ctrepldst', true, true),
    opt('ctorigsrcport', 'ctorigsrcport', true, true),
    opt('ctorigdstport', 'ctorigdstport', true, true),
    opt('ctreplsrcport', 'ctreplsrcport', true, true),
    opt('ctrepldstport', 'ctrepldstport', true, true),
    opt('ctstatus', 'ctstatus', true, true),
    opt('ctexpire', 'ctexpire', true, true),
    opt('ctdir', 'ctdir', true, false)
  ],
  init: (): CtS => ({ kind: 'conntrack' }),
  parse (s: CtS, o, arg, invert, env) {
    const id = o.id
    if (id === 'ctstate') s.ctstate = { value: parseStates(arg, env, PARSE_ORDER, 'ctstate'), invert }
    else if (id === 'ctproto') {
      const p = parseProtocol(arg)
      if (p === null) return env.fail(`unknown protocol "${arg}" specified`)
      if (p === 0 && !invert) return env.fail('conntrack: --ctproto 0 would never match')
      s.ctproto = { value: p, invert }
    } else if ((ADDR_IDS as readonly string[]).includes(id)) {
      const r = parseAddrMask(arg, false)
      if ('error' in r) return env.fail(r.error)
      const m: AddrMatch = { addr: r.addr, mask: r.mask, invert }
      s[id as typeof ADDR_IDS[number]] = m
    } else if ((PORT_IDS as readonly string[]).includes(id)) {
      const v: Inv<PortRange> = { value: parseCtPorts(arg, env, id), invert }
      s[id as typeof PORT_IDS[number]] = v
    } else if (id === 'ctstatus') s.ctstatus = { value: parseStatus(arg, env), invert }
    else if (id === 'ctexpire') {
      const colon = arg.indexOf(':')
      const a = parseUint(colon < 0 ? arg : arg.slice(0, colon))
      const b = colon < 0 ? a : parseUint(arg.slice(colon + 1))
      if (a === null || b === null) return badInt(env, 'conntrack', 'ctexpire')
      if (a > b) return env.fail(`expire range min > max (${a} > ${b})`)
      s.ctexpire = { value: { min: a, max: b }, invert }
    } else {
      const up = arg.toUpperCase()
      if (up !== 'ORIGINAL' && up !== 'REPLY') return env.fail(`Unknown --ctdir "${arg}"`)
      s.ctdir = up
    }
  },
  finish (s: CtS, env): Match {
    if (Object.keys(s).length === 1) return env.fail('conntrack: At least one option is required')
    return s
  }
})

interface StateS { state?: Inv<string[]> }

export const stateMatch = defineExt({
  name: 'state',
  options: [opt('state', 'state', true, true, { required: true })],
  init: (): StateS => ({}),
  parse (s: StateS, _o, arg, invert, env) {
    s.state = { value: parseStates(arg, env, ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED'], 'state'), invert }
  },
  finish (s: StateS): Match {
    return { kind: 'state', state: s.state! }
  }
})
