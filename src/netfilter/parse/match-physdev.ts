/** physdev match (bridged traffic). */

import type { Match } from '../model.ts'
import { defineExt, opt } from './ext.ts'

type S = Extract<Match, { kind: 'physdev' }>

export const physdevMatch = defineExt({
  name: 'physdev',
  options: [
    opt('physdev-in', 'in', true, true),
    opt('physdev-out', 'out', true, true),
    opt('physdev-is-in', 'isin', false, true),
    opt('physdev-is-out', 'isout', false, true),
    opt('physdev-is-bridged', 'bridged', false, true)
  ],
  init: (): S => ({ kind: 'physdev' }),
  parse (s: S, o, arg, invert, env) {
    if (o.id === 'in' || o.id === 'out') {
      if (arg.length >= 16) return env.fail(`interface name \`${arg}' must be shorter than IFNAMSIZ (15)`)
      if (o.id === 'in') s.physdevIn = { value: arg, invert }
      else s.physdevOut = { value: arg, invert }
    } else if (o.id === 'isin') s.isIn = { value: true, invert }
    else if (o.id === 'isout') s.isOut = { value: true, invert }
    else s.isBridged = { value: true, invert }
  },
  finish (s: S, env): Match {
    if (Object.keys(s).length === 1) return env.fail('PHYSDEV: no physdev option specified')
    return s
  }
})
