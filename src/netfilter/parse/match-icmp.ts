/** icmp match (`libipt_icmp`): `[!] --icmp-type {type[/code]|name|any}`, saved numerically. */

import type { Match } from '../model.ts'
import { parseUint } from '../numbers.ts'
import { defineExt, opt } from './ext.ts'

/** name, type, code range (codes 0..255 = the whole type) */
const ICMP_NAMES: Array<[string, number, number, number]> = [
  ['any', 0xff, 0, 0xff],
  ['echo-reply', 0, 0, 0xff],
  ['destination-unreachable', 3, 0, 0xff],
  ['network-unreachable', 3, 0, 0],
  ['host-unreachable', 3, 1, 1],
  ['protocol-unreachable', 3, 2, 2],
  ['port-unreachable', 3, 3, 3],
  ['fragmentation-needed', 3, 4, 4],
  ['source-route-failed', 3, 5, 5],
  ['network-unknown', 3, 6, 6],
  ['host-unknown', 3, 7, 7],
  ['network-prohibited', 3, 9, 9],
  ['host-prohibited', 3, 10, 10],
  ['TOS-network-unreachable', 3, 11, 11],
  ['TOS-host-unreachable', 3, 12, 12],
  ['communication-prohibited', 3, 13, 13],
  ['host-precedence-violation', 3, 14, 14],
  ['precedence-cutoff', 3, 15, 15],
  ['source-quench', 4, 0, 0xff],
  ['redirect', 5, 0, 0xff],
  ['network-redirect', 5, 0, 0],
  ['host-redirect', 5, 1, 1],
  ['TOS-network-redirect', 5, 2, 2],
  ['TOS-host-redirect', 5, 3, 3],
  ['echo-request', 8, 0, 0xff],
  ['router-advertisement', 9, 0, 0xff],
  ['router-solicitation', 10, 0, 0xff],
  ['time-exceeded', 11, 0, 0xff],
  ['ttl-zero-during-transit', 11, 0, 0],
  ['ttl-zero-during-reassembly', 11, 1, 1],
  ['parameter-problem', 12, 0, 0xff],
  ['ip-header-bad', 12, 0, 0],
  ['required-option-missing', 12, 1, 1],
  ['timestamp-request', 13, 0, 0xff],
  ['timestamp-reply', 14, 0, 0xff],
  ['address-mask-request', 17, 0, 0xff],
  ['address-mask-reply', 18, 0, 0xff]
]

type IcmpValue = { type: number, codeMin: number, codeMax: number } | 'any'
interface S { v?: { value: IcmpValue, invert: boolean } }

export const icmpMatch = defineExt({
  name: 'icmp',
  options: [opt('icmp-type', 'type', true, true, { required: true })],
  init: (): S => ({}),
  parse (s: S, _o, arg, invert, env) {
    if (s.v !== undefined) return env.fail('icmp: option "--icmp-type" can only be used once.')
    let value: IcmpValue | undefined
    const lower = arg.toLowerCase()
    const exact = ICMP_NAMES.find(([n]) => n.toLowerCase() === lower)
    const hits = exact !== undefined ? [exact] : ICMP_NAMES.filter(([n]) => lower.length > 0 && n.toLowerCase().startsWith(lower))
    if (hits.length > 1) return env.fail(`Ambiguous ICMP type \`${arg}'`)
    if (hits.length === 1) {
      const [, type, codeMin, codeMax] = hits[0]
      value = type === 0xff ? 'any' : { type, codeMin, codeMax }
    } else {
      const slash = arg.indexOf('/')
      const type = parseUint(slash < 0 ? arg : arg.slice(0, slash), 255)
      if (type === null) return env.fail(`Unknown ICMP type \`${arg}'`)
      if (slash < 0) value = { type, codeMin: 0, codeMax: 0xff }
      else {
        const code = parseUint(arg.slice(slash + 1), 255)
        if (code === null) return env.fail(`Invalid ICMP code \`${arg.slice(slash + 1)}'`)
        value = { type, codeMin: code, codeMax: code }
      }
      if (type === 0xff && value.codeMin === 0 && value.codeMax === 0xff) value = 'any'
    }
    s.v = { value, invert }
  },
  finish (s: S, env): Match {
    if (env.proto !== 1 || env.protoInvert) return env.fail('icmp match requires \'-p icmp\'')
    if (s.v === undefined) return env.fail('icmp: option "--icmp-type" must be specified')
    return { kind: 'icmp', icmpType: s.v }
  }
})
