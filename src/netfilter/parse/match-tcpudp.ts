/** tcp, udp and sctp matches (`libxt_tcp`, `libxt_udp`, `libxt_sctp`). */

import type { Inv, PortRange } from '../model.ts'
import { parseUint } from '../numbers.ts'
import { defineExt, opt, type ParseEnv } from './ext.ts'
import { parsePortRange } from './ports.ts'

interface PortState {
  sport?: Inv<PortRange>
  dport?: Inv<PortRange>
  tcpFlags?: Inv<{ mask: number, comp: number }>
  tcpOption?: Inv<number>
}

const TCP_FLAGS: Array<[string, number]> = [
  ['FIN', 0x01], ['SYN', 0x02], ['RST', 0x04], ['PSH', 0x08], ['ACK', 0x10], ['URG', 0x20], ['ALL', 0x3f], ['NONE', 0]
]

function parseFlags (s: string, env: ParseEnv): number {
  let v = 0
  for (const part of s.split(',')) {
    const f = TCP_FLAGS.find(([n]) => n === part.toUpperCase())
    if (f === undefined) return env.fail(`Unknown TCP flag \`${part}'`)
    v |= f[1]
  }
  return v
}

function ports (proto: 'tcp' | 'udp' | 'sctp', s: PortState, id: string, arg: string, invert: boolean, env: ParseEnv): void {
  const r = parsePortRange(arg, proto)
  if (typeof r === 'string') return env.fail(r)
  if (id === 'sport') {
    if (s.sport !== undefined) return env.fail('Only one `--source-port\' allowed')
    s.sport = { value: r, invert }
  } else {
    if (s.dport !== undefined) return env.fail('Only one `--destination-port\' allowed')
    s.dport = { value: r, invert }
  }
}

const portOpts = [
  opt('source-port', 'sport', true, true, { repeat: true }),
  opt('sport', 'sport', true, true, { repeat: true }),
  opt('destination-port', 'dport', true, true, { repeat: true }),
  opt('dport', 'dport', true, true, { repeat: true })
]

function requireProto (env: ParseEnv, num: number, msg: string): void {
  if (env.proto !== num || env.protoInvert) return env.fail(msg)
}

export const tcpMatch = defineExt({
  name: 'tcp',
  options: [
    ...portOpts,
    opt('syn', 'syn', false, true, { repeat: true }),
    opt('tcp-flags', 'flags', true, true, { repeat: true }),
    opt('tcp-option', 'option', true, true, { repeat: true })
  ],
  init: (): PortState => ({}),
  parse (s: PortState, o, arg, invert, env) {
    if (o.id === 'sport' || o.id === 'dport') return ports('tcp', s, o.id, arg, invert, env)
    if (o.id === 'syn' || o.id === 'flags') {
      if (s.tcpFlags !== undefined) return env.fail('Only one of `--syn\' or `--tcp-flags\' allowed')
      if (o.id === 'syn') {
        s.tcpFlags = { value: { mask: 0x17, comp: 0x02 }, invert }
      } else {
        // --tcp-flags takes two arguments: the second is handed over as "MASK COMP" joined by a NUL
        const [mask, comp] = arg.split('\u0000')
        s.tcpFlags = { value: { mask: parseFlags(mask, env), comp: parseFlags(comp ?? '', env) }, invert }
      }
      return
    }
    if (s.tcpOption !== undefined) return env.fail('Only one `--tcp-option\' allowed')
    const n = parseUint(arg, 255)
    if (n === null) return env.fail(`Unknown TCP option \`${arg}'`)
    s.tcpOption = { value: n, invert }
  },
  finish (s: PortState, env) {
    requireProto(env, 6, 'TCP match requires \'-p tcp\'')
    return { kind: 'tcp' as const, ...s }
  }
})

export const udpMatch = defineExt({
  name: 'udp',
  options: portOpts,
  init: (): PortState => ({}),
  parse (s: PortState, o, arg, invert, env) { ports('udp', s, o.id, arg, invert, env) },
  finish (s: PortState, env) {
    requireProto(env, 17, 'UDP match requires \'-p udp\'')
    return { kind: 'udp' as const, ...s }
  }
})

export const sctpMatch = defineExt({
  name: 'sctp',
  options: portOpts,
  init: (): PortState => ({}),
  parse (s: PortState, o, arg, invert, env) { ports('sctp', s, o.id, arg, invert, env) },
  finish (s: PortState, env) {
    requireProto(env, 132, 'SCTP match requires \'-p sctp\'')
    return { kind: 'sctp' as const, ...s }
  }
})

/** Options whose value is two tokens (only `--tcp-flags MASK COMP`). */
export const TWO_ARG_OPTIONS = new Set(['tcp-flags'])
