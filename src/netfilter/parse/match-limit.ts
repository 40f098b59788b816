/**
 * limit match: parsed and validated like libxt_limit, kept as an `unknown` match (the engine does not
 * model token buckets) whose args are already in iptables-save's canonical form.
 */

import type { Match } from '../model.ts'
import { parseUint } from '../numbers.ts'
import { defineExt, opt } from './ext.ts'

const SCALE = 10000
/** save units, largest first (libxt_limit `rates`) */
const RATES: Array<[string, number]> = [['day', SCALE * 86400], ['hour', SCALE * 3600], ['min', SCALE * 60], ['sec', SCALE]]
const UNITS: Array<[string, number]> = [['second', 1], ['minute', 60], ['hour', 3600], ['day', 86400]]

interface S { avg: number, burst: number }

/** `N[/unit]` → period in 1/10000 s per packet; null if malformed, 0 if too fast */
function parseRate (s: string): number | null {
  const slash = s.indexOf('/')
  const n = parseUint(slash < 0 ? s : s.slice(0, slash))
  if (n === null || n === 0) return null
  let mult = 1
  if (slash >= 0) {
    const unit = s.slice(slash + 1).toLowerCase()
    const hit = unit.length === 0 ? undefined : UNITS.find(([name]) => name.startsWith(unit))
    if (hit === undefined) return null
    mult = hit[1]
  }
  return Math.floor((mult * SCALE) / n)
}

/** libxt_limit print_rate: the largest unit that still shows the period exactly enough */
export function formatRate (period: number): string {
  let i = 1
  for (; i < RATES.length; i++) {
    const m = RATES[i][1]
    if (period > m || Math.floor(m / period) < m % period) break
  }
  return `${Math.floor(RATES[i - 1][1] / period)}/${RATES[i - 1][0]}`
}

export const limitMatch = defineExt({
  name: 'limit',
  options: [opt('limit', 'limit', true, false), opt('limit-burst', 'burst', true, false)],
  init: (): S => ({ avg: Math.floor((SCALE * 3600) / 3), burst: 5 }),
  parse (s: S, o, arg, _i, env) {
    if (o.id === 'limit') {
      const p = parseRate(arg)
      if (p === null) return env.fail(`bad rate "${arg}"'`)
      if (p === 0) return env.fail(`Rate too fast "${arg}"`)
      s.avg = p
    } else {
      const b = parseUint(arg, 10000)
      if (b === null) return env.fail('limit: bad value for option "--limit-burst", or out of range (0-10000).')
      s.burst = b
    }
  },
  finish (s: S): Match {
    const args = ['--limit', formatRate(s.avg)]
    if (s.burst !== 5 && s.burst !== 0) args.push('--limit-burst', String(s.burst))
    return { kind: 'unknown', module: 'limit', args }
  }
})
