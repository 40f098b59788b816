/** Canonical iptables-save text of a rule's target (`-j NAME opts…` / `-g CHAIN`). */

import type { NatRange, Target } from '../model.ts'
import { formatIPv4 } from '../addr.ts'
import { hex } from '../numbers.ts'
import { saveString, tokenString } from '../quote.ts'

function natRange (r: NatRange): string {
  let s = ''
  if (r.minAddr !== undefined) {
    s += formatIPv4(r.minAddr)
    if (r.maxAddr !== undefined && r.maxAddr !== r.minAddr) s += '-' + formatIPv4(r.maxAddr)
  }
  if (r.minPort !== undefined) {
    s += ':' + r.minPort
    if (r.maxPort !== undefined && r.maxPort !== r.minPort) s += '-' + r.maxPort
  }
  return s
}

function toPorts (min: number | undefined, max: number | undefined): string {
  if (min === undefined) return ''
  return ` --to-ports ${min}${max !== undefined && max !== min ? '-' + max : ''}`
}

/** ` -j NAME opts…` or ` -g CHAIN` (with the leading space); empty for a rule without target. */
export function renderTarget (t: Target | null): string {
  if (t === null) return ''
  switch (t.kind) {
    case 'ACCEPT': case 'DROP': case 'RETURN': case 'QUEUE': case 'TRACE': case 'NOTRACK':
      return ` -j ${t.kind}`
    case 'jump':
      return ` -j ${t.chain}`
    case 'goto':
      return ` -g ${t.chain}`
    case 'REJECT':
      return ` -j REJECT --reject-with ${t.rejectWith}`
    case 'MARK':
      return ` -j MARK --set-xmark ${hex(t.value)}/${hex(t.mask)}`
    case 'CONNMARK':
      if (t.mode === 'set') return ` -j CONNMARK --set-xmark ${hex(t.value)}/${hex(t.mask)}`
      return ` -j CONNMARK --${t.mode}-mark --nfmask ${hex(t.nfmask)} --ctmask ${hex(t.ctmask)}`
    case 'DNAT':
      return ' -j DNAT' + t.ranges.map(r => ` --to-destination ${natRange(r)}`).join('') +
        (t.random ? ' --random' : '') + (t.persistent ? ' --persistent' : '')
    case 'SNAT':
      return ' -j SNAT' + t.ranges.map(r => ` --to-source ${natRange(r)}`).join('') +
        (t.random ? ' --random' : '') + (t.randomFully ? ' --random-fully' : '') + (t.persistent ? ' --persistent' : '')
    case 'MASQUERADE':
      return ' -j MASQUERADE' + toPorts(t.minPort, t.maxPort) + (t.random ? ' --random' : '') + (t.randomFully ? ' --random-fully' : '')
    case 'REDIRECT':
      return ' -j REDIRECT' + toPorts(t.minPort, t.maxPort) + (t.random ? ' --random' : '')
    case 'LOG': {
      let s = ' -j LOG'
      if (t.prefix !== undefined) s += ` --log-prefix ${saveString(t.prefix)}`
      if (t.level !== undefined && t.level !== 4) s += ` --log-level ${t.level}`
      for (const f of t.flags) s += ` --${f}`
      return s
    }
    case 'CT':
      return ' -j CT' + (t.notrack ? ' --notrack' : '') + t.args.map(a => ' ' + tokenString(a)).join('')
    case 'unknown':
      return ` -j ${t.name}` + t.args.map(a => ' ' + tokenString(a)).join('')
  }
}
