/** DNAT, SNAT, MASQUERADE and REDIRECT targets. */

import type { NatRange, Target } from '../model.ts'
import { parseDottedQuad } from '../addr.ts'
import { parseUint } from '../numbers.ts'
import { defineExt, opt, type ParseEnv } from './ext.ts'
import { kernelRefuses, wrongHook } from './target-basic.ts'

const PORT_PROTOS = new Set([6, 17, 132, 33])

function needPorts (env: ParseEnv): void {
  if (env.proto === undefined || env.protoInvert || !PORT_PROTOS.has(env.proto)) {
    return env.fail('Need TCP, UDP, SCTP or DCCP with port specification')
  }
}

function parsePorts (spec: string, env: ParseEnv): { minPort: number, maxPort: number } {
  const dash = spec.indexOf('-')
  const a = parseUint(dash < 0 ? spec : spec.slice(0, dash), 65535)
  if (a === null || a === 0) return env.fail(`Port "${dash < 0 ? spec : spec.slice(0, dash)}" not valid`)
  if (dash < 0) return { minPort: a, maxPort: a }
  const bs = spec.slice(dash + 1)
  const b = parseUint(bs, 65535)
  if (b === null || b === 0) return env.fail(`Port "${bs}" not valid`)
  if (b < a) return env.fail(`Port range \`${bs}' funky`)
  return { minPort: a, maxPort: b }
}

/** `[addr[-addr]][:port[-port]]` */
function parseNatRange (arg: string, env: ParseEnv): { range: NatRange, ports: boolean } {
  const range: NatRange = {}
  const colon = arg.indexOf(':')
  const addrPart = colon < 0 ? arg : arg.slice(0, colon)
  let ports = false
  if (colon >= 0) {
    const p = parsePorts(arg.slice(colon + 1), env)
    range.minPort = p.minPort
    range.maxPort = p.maxPort
    ports = true
  }
  if (addrPart.length > 0) {
    const dash = addrPart.indexOf('-')
    const a = parseDottedQuad(dash < 0 ? addrPart : addrPart.slice(0, dash))
    if (a === null) return env.fail(`Bad IP address "${dash < 0 ? addrPart : addrPart.slice(0, dash)}"`)
    const b = dash < 0 ? a : parseDottedQuad(addrPart.slice(dash + 1))
    if (b === null) return env.fail(`Bad IP address "${addrPart.slice(dash + 1)}"`)
    range.minAddr = a
    range.maxAddr = b
  } else if (!ports) return env.fail(`Bad IP address "${arg}"`)
  return { range, ports }
}

interface NatS { ranges: NatRange[], ports: boolean, random: boolean, randomFully: boolean, persistent: boolean }
const natInit = (): NatS => ({ ranges: [], ports: false, random: false, randomFully: false, persistent: false })

function natFlags (s: NatS, id: string): boolean {
  if (id === 'random') s.random = true
  else if (id === 'random-fully') s.randomFully = true
  else if (id === 'persistent') s.persistent = true
  else return false
  return true
}

/** DNAT/SNAT options: a flag, or one `--to-destination`/`--to-source` range (repeatable). */
function parseNatOption (s: NatS, o: { id: string }, arg: string, _i: unknown, env: Parameters<typeof parseNatRange>[1]): void {
  if (natFlags(s, o.id)) return
  const r = parseNatRange(arg, env)
  // a literal keeps the (retained) list at its exact size; a second range is rare
  s.ranges = s.ranges.length === 0 ? [r.range] : [...s.ranges, r.range]
  s.ports ||= r.ports
}

export const dnatTarget = defineExt({
  name: 'DNAT',
  options: [
    opt('to-destination', 'to', true, false, { required: true }),
    opt('random', 'random', false, false),
    opt('persistent', 'persistent', false, false)
  ],
  init: natInit,
  parse: parseNatOption,
  finish (s: NatS, env): Target {
    if (s.ports) needPorts(env)
    if (env.table !== 'nat' || wrongHook(env, ['PREROUTING', 'OUTPUT'])) return kernelRefuses(env)
    return { kind: 'DNAT', ranges: s.ranges, random: s.random, persistent: s.persistent }
  }
})

export const snatTarget = defineExt({
  name: 'SNAT',
  options: [
    opt('to-source', 'to', true, false, { required: true }),
    opt('random', 'random', false, false),
    opt('random-fully', 'random-fully', false, false),
    opt('persistent', 'persistent', false, false)
  ],
  init: natInit,
  parse: parseNatOption,
  finish (s: NatS, env): Target {
    if (s.ports) needPorts(env)
    if (env.table !== 'nat' || wrongHook(env, ['POSTROUTING', 'INPUT'])) return kernelRefuses(env)
    return { kind: 'SNAT', ranges: s.ranges, random: s.random, randomFully: s.randomFully, persistent: s.persistent }
  }
})

interface PortsS { minPort?: number, maxPort?: number, random: boolean, randomFully: boolean }

export const masqueradeTarget = defineExt({
  name: 'MASQUERADE',
  options: [
    opt('to-ports', 'to-ports', true, false),
    opt('random', 'random', false, false),
    opt('random-fully', 'random-fully', false, false)
  ],
  init: (): PortsS => ({ random: false, randomFully: false }),
  parse (s: PortsS, o, arg, _i, env) {
    if (o.id === 'random') s.random = true
    else if (o.id === 'random-fully') s.randomFully = true
    else Object.assign(s, parsePorts(arg, env))
  },
  finish (s: PortsS, env): Target {
    if (s.minPort !== undefined) needPorts(env)
    if (env.table !== 'nat' || wrongHook(env, ['POSTROUTING'])) return kernelRefuses(env)
    const t: Target = { kind: 'MASQUERADE', random: s.random, randomFully: s.randomFully }
    if (s.minPort !== undefined) { t.minPort = s.minPort; t.maxPort = s.maxPort }
    return t
  }
})

export const redirectTarget = defineExt({
  name: 'REDIRECT',
  options: [
    opt('to-ports', 'to-ports', true, false),
    opt('random', 'random', false, false)
  ],
  init: (): PortsS => ({ random: false, randomFully: false }),
  parse (s: PortsS, o, arg, _i, env) {
    if (o.id === 'random') s.random = true
    else Object.assign(s, parsePorts(arg, env))
  },
  finish (s: PortsS, env): Target {
    if (s.minPort !== undefined) needPorts(env)
    if (env.table !== 'nat' || wrongHook(env, ['PREROUTING', 'OUTPUT'])) return kernelRefuses(env)
    const t: Target = { kind: 'REDIRECT', random: s.random }
    if (s.minPort !== undefined) { t.minPort = s.minPort; t.maxPort = s.maxPort }
    return t
  }
})
