/** addrtype match (revision 1): `[!] --src-type T[,T]`, `[!] --dst-type ...`, `--limit-iface-in|out`. */

import type { Inv, Match } from '../model.ts'
import { defineExt, kernelRefuses, opt, type ParseEnv } from './ext.ts'

/** Route types in bit order (bit i = 1 << RTN_i); saved in this order. */
export const ADDR_TYPES = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE',
  'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE']

interface S { srcType?: Inv<string[]>, dstType?: Inv<string[]>, limitIfaceIn?: boolean, limitIfaceOut?: boolean }

function parseTypes (arg: string, env: ParseEnv): string[] {
  let bits = 0
  for (const item of arg.split(',')) {
    const up = item.toUpperCase()
    const i = item.length === 0 ? -1 : ADDR_TYPES.findIndex(t => t.startsWith(up))
    if (i < 0) return env.fail(`addrtype: bad type "${item}"`)
    bits |= 1 << i
  }
  return ADDR_TYPES.filter((_, i) => (bits & (1 << i)) !== 0)
}

const OUT_HOOKS = new Set(['POSTROUTING', 'OUTPUT'])
const IN_HOOKS = new Set(['PREROUTING', 'INPUT'])

export const addrtypeMatch = defineExt({
  name: 'addrtype',
  options: [
    opt('src-type', 'src', true, true),
    opt('dst-type', 'dst', true, true),
    opt('limit-iface-in', 'in', false, false),
    opt('limit-iface-out', 'out', false, false)
  ],
  init: (): S => ({}),
  parse (s: S, o, arg, invert, env) {
    if (o.id === 'src') s.srcType = { value: parseTypes(arg, env), invert }
    else if (o.id === 'dst') s.dstType = { value: parseTypes(arg, env), invert }
    else if (o.id === 'in') s.limitIfaceIn = true
    else s.limitIfaceOut = true
  },
  finish (s: S, env): Match {
    if (s.srcType === undefined && s.dstType === undefined) return env.fail('addrtype: you must specify --src-type or --dst-type')
    if (s.limitIfaceIn === true && s.limitIfaceOut === true) return env.fail('addrtype: you can\'t specify both --limit-iface-in and --limit-iface-out')
    // refused by the kernel in these built-in chains (user chains reached from them are accepted) [exp]
    if (s.limitIfaceIn === true && OUT_HOOKS.has(env.chain)) return kernelRefuses(env)
    if (s.limitIfaceOut === true && IN_HOOKS.has(env.chain)) return kernelRefuses(env)
    return { kind: 'addrtype', ...s }
  }
})
