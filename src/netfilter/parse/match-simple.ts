/** comment, mark, connmark and statistic matches. */

import type { Match } from '../model.ts'
import { parseDecimal, parseUint } from '../numbers.ts'
import { quantizeProbability } from '../probability.ts'
import { badInt, defineExt, opt, type ParseEnv } from './ext.ts'

interface CommentS { comment?: string }

export const commentMatch = defineExt({
  name: 'comment',
  options: [opt('comment', 'comment', true, false, { required: true })],
  init: (): CommentS => ({}),
  parse (s: CommentS, _o, arg, _i, env) {
    if (arg.length > 255) return env.fail('comment: option "--comment" argument is too long (max 255)')
    s.comment = arg
  },
  finish (s: CommentS): Match {
    return { kind: 'comment', comment: s.comment ?? '' }
  }
})

/** `value[/mask]` with base-0 u32 parts; mask defaults to 0xffffffff. */
export function parseMarkMask (arg: string, env: ParseEnv, ext: string, optname: string): { value: number, mask: number | undefined } {
  const slash = arg.indexOf('/')
  const value = parseUint(slash < 0 ? arg : arg.slice(0, slash))
  if (value === null) return badInt(env, ext, optname)
  if (slash < 0) return { value, mask: undefined }
  const mask = parseUint(arg.slice(slash + 1))
  if (mask === null) return badInt(env, ext, optname)
  return { value, mask }
}

interface MarkS { value: number, mask: number, invert: boolean }

function markExt (name: 'mark' | 'connmark') {
  return defineExt({
    name,
    options: [opt('mark', 'mark', true, true, { required: true })],
    init: (): MarkS => ({ value: 0, mask: 0xffffffff, invert: false }),
    parse (s: MarkS, _o, arg, invert, env) {
      const r = parseMarkMask(arg, env, name, 'mark')
      s.value = r.value
      s.mask = r.mask ?? 0xffffffff
      s.invert = invert
    },
    finish (s: MarkS): Match {
      return { kind: name, value: s.value, mask: s.mask, invert: s.invert }
    }
  })
}

export const markMatch = markExt('mark')
export const connmarkMatch = markExt('connmark')

interface StatS { mode?: 'random' | 'nth', probability?: number, every?: number, packet?: number, invert: boolean }

export const statisticMatch = defineExt({
  name: 'statistic',
  options: [
    opt('mode', 'mode', true, false, { required: true }),
    opt('probability', 'probability', true, true),
    opt('every', 'every', true, true, { also: ['packet'] }),
    opt('packet', 'packet', true, false, { also: ['every'] })
  ],
  init: (): StatS => ({ invert: false }),
  parse (s: StatS, o, arg, invert, env) {
    switch (o.id) {
      case 'mode':
        if (arg === 'random') s.mode = 'random'
        else if (arg === 'nth') s.mode = 'nth'
        else return env.fail(`Bad mode "${arg}"`)
        return
      case 'probability': {
        const p = parseDecimal(arg)
        if (p === null || !(p >= 0 && p <= 1)) return env.fail('statistic: bad value for option "--probability", or out of range (0-1).')
        s.probability = quantizeProbability(p)
        if (invert) s.invert = true
        return
      }
      case 'every': {
        const n = parseUint(arg)
        if (n === null || n === 0) return badInt(env, 'statistic', 'every')
        s.every = n
        if (invert) s.invert = true
        return
      }
      default: {
        const n = parseUint(arg)
        if (n === null) return badInt(env, 'statistic', 'packet')
        s.packet = n
      }
    }
  },
  finish (s: StatS, env): Match {
    if (s.mode === 'random') {
      if (s.probability === undefined) return env.fail('--probability must be specified when using random mode')
      if (s.every !== undefined) return env.fail('--every can only be used in nth mode')
      return { kind: 'statistic', mode: 'random', probability: s.probability, invert: s.invert }
    }
    if (s.every === undefined || s.packet === undefined) return env.fail('--every and --packet must be specified when using nth mode')
    if (s.probability !== undefined) return env.fail('--probability can only be used in random mode')
    if (s.packet > s.every - 1) return env.fail('the --packet p must be 0 <= p <= n-1')
    return { kind: 'statistic', mode: 'nth', every: s.every, packet: s.packet, invert: s.invert }
  }
})
