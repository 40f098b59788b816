/** recent match (`libxt_recent` revision 1). */

import type { Match } from '../model.ts'
import { parseIPv4 } from '../addr.ts'
import { parseUint } from '../numbers.ts'
import { badInt, defineExt, kernelRefuses, opt } from './ext.ts'

type RecentCmd = 'set' | 'rcheck' | 'update' | 'remove'
interface S {
  command?: RecentCmd
  invert: boolean
  name: string
  seconds?: number
  reap: boolean
  hitcount?: number
  rttl: boolean
  mask: number
  side: 'rsource' | 'rdest'
}

const CMDS = ['set', 'rcheck', 'update', 'remove']
const exclOf = (c: string): string[] => CMDS.filter(x => x !== c)

export const recentMatch = defineExt({
  name: 'recent',
  options: [
    opt('seconds', 'seconds', true, false),
    opt('reap', 'reap', false, false, { also: ['seconds'] }),
    opt('hitcount', 'hitcount', true, false),
    opt('set', 'set', false, true, { excl: exclOf('set') }),
    opt('rcheck', 'rcheck', false, true, { excl: exclOf('rcheck') }),
    opt('update', 'update', false, true, { excl: exclOf('update') }),
    opt('remove', 'remove', false, true, { excl: exclOf('remove') }),
    opt('rttl', 'rttl', false, false),
    opt('name', 'name', true, false),
    opt('rsource', 'rsource', false, false, { excl: ['rdest'] }),
    opt('rdest', 'rdest', false, false, { excl: ['rsource'] }),
    opt('mask', 'mask', true, false)
  ],
  init: (): S => ({ invert: false, name: 'DEFAULT', reap: false, rttl: false, mask: 0xffffffff, side: 'rsource' }),
  parse (s: S, o, arg, invert, env) {
    switch (o.id) {
      case 'set': case 'rcheck': case 'update': case 'remove':
        s.command = o.id
        s.invert = invert
        return
      case 'seconds': {
        const n = parseUint(arg)
        if (n === null) return badInt(env, 'recent', 'seconds')
        s.seconds = n
        return
      }
      case 'hitcount': {
        const n = parseUint(arg)
        if (n === null) return badInt(env, 'recent', 'hitcount')
        s.hitcount = n
        return
      }
      case 'reap': s.reap = true; return
      case 'rttl': s.rttl = true; return
      case 'name':
        if (arg.length === 0 || arg.length >= 200) return env.fail('recent: option "--name" must be 1..199 characters')
        s.name = arg
        return
      case 'rsource': s.side = 'rsource'; return
      case 'rdest': s.side = 'rdest'; return
      default: {
        const m = parseIPv4(arg)
        if (m === null) return env.fail(`recent: bad value for option "--mask"`)
        s.mask = m
      }
    }
  },
  finish (s: S, env): Match {
    if (s.command === undefined) {
      return env.fail('recent: you must specify one of `--set\', `--rcheck\' `--update\' or `--remove\'')
    }
    // the kernel (xt_recent checkentry) refuses modifiers on --set/--remove
    if ((s.command === 'set' || s.command === 'remove') && (s.seconds !== undefined || s.hitcount !== undefined || s.reap || s.rttl)) {
      return kernelRefuses(env)
    }
    if (s.hitcount !== undefined && s.hitcount > 255) return kernelRefuses(env)
    const m: Match = { kind: 'recent', command: s.command, invert: s.invert, name: s.name, reap: s.reap, rttl: s.rttl, mask: s.mask, side: s.side }
    if (s.seconds !== undefined) m.seconds = s.seconds
    if (s.hitcount !== undefined) m.hitcount = s.hitcount
    return m
  }
})
