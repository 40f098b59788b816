/** multiport match (`libxt_multiport` revision 1): up to 15 port slots, a range uses two. */

import type { Match, PortRange } from '../model.ts'
import { parsePort } from '../numbers.ts'
import { defineExt, opt } from './ext.ts'

interface S { direction?: 'src' | 'dst' | 'any', ports: PortRange[], invert: boolean }

const PORT_PROTOS = new Set([6, 17, 136, 132, 33])
const PROTO_NAME: Record<number, string> = { 6: 'tcp', 17: 'udp', 136: 'udplite', 132: 'sctp', 33: 'dccp' }

const excl = ['sports', 'dports', 'ports']

export const multiportMatch = defineExt({
  name: 'multiport',
  options: [
    opt('source-ports', 'sports', true, true, { excl }),
    opt('sports', 'sports', true, true),
    opt('destination-ports', 'dports', true, true, { excl }),
    opt('dports', 'dports', true, true),
    opt('ports', 'ports', true, true, { excl })
  ],
  init: (): S => ({ ports: [], invert: false }),
  parse (s: S, o, arg, invert, env) {
    const protoName = env.proto === undefined ? undefined : PROTO_NAME[env.proto]
    const ports: PortRange[] = []
    let slots = 0
    for (const item of arg.split(',')) {
      const colon = item.indexOf(':')
      if (colon < 0) {
        const p = parsePort(item, protoName === 'udp' ? 'udp' : 'tcp')
        if (p === null) return env.fail(`invalid port/service \`${item}' specified`)
        ports.push({ min: p, max: p })
        slots += 1
      } else {
        const a = parsePort(item.slice(0, colon), protoName === 'udp' ? 'udp' : 'tcp')
        const b = parsePort(item.slice(colon + 1), protoName === 'udp' ? 'udp' : 'tcp')
        if (a === null) return env.fail(`invalid port/service \`${item.slice(0, colon)}' specified`)
        if (b === null) return env.fail(`invalid port/service \`${item.slice(colon + 1)}' specified`)
        if (a >= b) return env.fail('invalid portrange specified')
        ports.push({ min: a, max: b })
        slots += 2
      }
      if (slots > 15) return env.fail('too many ports specified')
    }
    s.direction = o.id === 'sports' ? 'src' : o.id === 'dports' ? 'dst' : 'any'
    s.ports = ports
    s.invert = invert
  },
  finish (s: S, env): Match {
    if (env.proto === undefined || env.protoInvert || !PORT_PROTOS.has(env.proto)) {
      return env.fail('multiport needs `-p tcp\', `-p udp\', `-p udplite\', `-p sctp\' or `-p dccp\'')
    }
    if (s.direction === undefined) return env.fail('multiport expects an option')
    return { kind: 'multiport', direction: s.direction, ports: s.ports, invert: s.invert }
  }
})
