/** MARK and CONNMARK targets, normalised to the kernel's (value, mask) form. */

import type { Target } from '../model.ts'
import { parseUint } from '../numbers.ts'
import { badInt, defineExt, opt, type ParseEnv } from './ext.ts'
import { parseMarkMask } from './match-simple.ts'

const XMARK_IDS = ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark']

/** (value, mask) of `mark = (mark & ~mask) ^ value` for the MARK-style options */
function xmark (id: string, arg: string, env: ParseEnv, ext: string): { value: number, mask: number } {
  if (id === 'set-xmark' || id === 'set-mark') {
    const r = parseMarkMask(arg, env, ext, id)
    if (r.mask === undefined) return { value: r.value, mask: 0xffffffff }
    return id === 'set-xmark' ? { value: r.value, mask: r.mask } : { value: r.value, mask: (r.value | r.mask) >>> 0 }
  }
  const v = parseUint(arg)
  if (v === null) return badInt(env, ext, id)
  if (id === 'and-mark') return { value: 0, mask: (~v) >>> 0 }
  if (id === 'or-mark') return { value: v, mask: v }
  return { value: v, mask: 0 }
}

interface MarkS { value?: number, mask?: number }

export const markTarget = defineExt({
  name: 'MARK',
  options: XMARK_IDS.map(id => opt(id, id, true, false, { excl: XMARK_IDS.filter(x => x !== id) })),
  init: (): MarkS => ({}),
  parse (s: MarkS, o, arg, _i, env) {
    const r = xmark(o.id, arg, env, 'MARK')
    s.value = r.value
    s.mask = r.mask
  },
  finish (s: MarkS, env): Target {
    if (s.value === undefined) return env.fail('MARK target: Parameter --set/and/or/xor-mark is required')
    return { kind: 'MARK', value: s.value, mask: s.mask! }
  }
})

interface ConnmarkS { mode?: 'set' | 'save' | 'restore', value: number, mask: number, nfmask?: number, ctmask?: number }

const SETTERS = ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark']
const MODES = [...SETTERS, 'save-mark', 'restore-mark']

export const connmarkTarget = defineExt({
  name: 'CONNMARK',
  options: [
    ...SETTERS.map(id => opt(id, id, true, false, { excl: MODES.filter(x => x !== id) })),
    opt('save-mark', 'save-mark', false, false, { excl: MODES.filter(x => x !== 'save-mark') }),
    opt('restore-mark', 'restore-mark', false, false, { excl: MODES.filter(x => x !== 'restore-mark') }),
    opt('ctmask', 'ctmask', true, false, { excl: ['mask'] }),
    opt('nfmask', 'nfmask', true, false, { excl: ['mask'] }),
    opt('mask', 'mask', true, false, { excl: ['ctmask', 'nfmask'] })
  ],
  init: (): ConnmarkS => ({ value: 0, mask: 0 }),
  parse (s: ConnmarkS, o, arg, _i, env) {
    if (SETTERS.includes(o.id)) {
      const r = xmark(o.id, arg, env, 'CONNMARK')
      s.mode = 'set'
      s.value = r.value
      s.mask = r.mask
    } else if (o.id === 'save-mark') s.mode = 'save'
    else if (o.id === 'restore-mark') s.mode = 'restore'
    else {
      const v = parseUint(arg)
      if (v === null) return badInt(env, 'CONNMARK', o.name)
      if (o.id === 'ctmask') s.ctmask = v
      else if (o.id === 'nfmask') s.nfmask = v
      else { s.ctmask = v; s.nfmask = v }
    }
  },
  finish (s: ConnmarkS, env): Target {
    if (s.mode === undefined) return env.fail('CONNMARK target: No operation specified')
    if (s.mode === 'set') {
      if (s.nfmask !== undefined || s.ctmask !== undefined) return env.fail('CONNMARK: --mask/--nfmask/--ctmask only go with --save-mark or --restore-mark')
      return { kind: 'CONNMARK', mode: 'set', value: s.value, mask: s.mask }
    }
    return { kind: 'CONNMARK', mode: s.mode, nfmask: s.nfmask ?? 0xffffffff, ctmask: s.ctmask ?? 0xffffffff }
  }
})
