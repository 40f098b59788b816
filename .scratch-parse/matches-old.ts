/** Canonical iptables-save text of one match (`-m NAME` followed by its options in save order). */

import type { AddrMatch, Inv, Match, PortRange } from '../src/netfilter/model.ts'
import { formatIPv4, formatMask } from '../src/netfilter/addr.ts'
import { hex } from '../src/netfilter/numbers.ts'
import { formatProbability } from '../src/netfilter/probability.ts'
import { saveString, tokenString } from '../src/netfilter/quote.ts'
import { formatPortRange } from '../src/netfilter/parse/ports.ts'

const TCP_FLAG_NAMES: Array<[string, number]> = [['FIN', 1], ['SYN', 2], ['RST', 4], ['PSH', 8], ['ACK', 16], ['URG', 32]]

function flags (v: number): string {
  if (v === 0) return 'NONE'
  return TCP_FLAG_NAMES.filter(([, b]) => (v & b) !== 0).map(([n]) => n).join(',')
}

function not (invert: boolean): string {
  return invert ? ' !' : ''
}

function ports (name: string, v: Inv<PortRange> | undefined): string {
  return v === undefined ? '' : `${not(v.invert)} --${name} ${formatPortRange(v.value)}`
}

function ctAddr (name: string, a: AddrMatch | undefined): string {
  if (a === undefined) return ''
  return `${not(a.invert)} --${name} ${formatIPv4(a.addr)}${a.mask === 0xffffffff ? '' : '/' + formatMask(a.mask)}`
}

const CT_STATE_ORDER = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT']
const CT_STATUS_ORDER = ['EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED']
const ADDR_TYPE_ORDER = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE',
  'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE']

function ordered (values: string[], order: string[]): string {
  return order.filter(n => values.includes(n)).join(',')
}

/** ` -m NAME opts…` (with the leading space) */
export function renderMatch (m: Match): string {
  let out = ` -m ${m.kind === 'unknown' ? m.module : m.kind}`
  switch (m.kind) {
    case 'tcp':
      out += ports('sport', m.sport)
      out += ports('dport', m.dport)
      if (m.tcpOption !== undefined) out += `${not(m.tcpOption.invert)} --tcp-option ${m.tcpOption.value}`
      if (m.tcpFlags !== undefined) out += `${not(m.tcpFlags.invert)} --tcp-flags ${flags(m.tcpFlags.value.mask)} ${flags(m.tcpFlags.value.comp)}`
      break
    case 'udp': case 'sctp':
      out += ports('sport', m.sport)
      out += ports('dport', m.dport)
      break
    case 'icmp': {
      const v = m.icmpType.value
      let s: string
      if (v === 'any') s = 'any'
      else if (v.codeMin === 0 && v.codeMax === 0xff) s = String(v.type)
      else s = `${v.type}/${v.codeMin}`
      out += `${not(m.icmpType.invert)} --icmp-type ${s}`
      break
    }
    case 'multiport': {
      const name = m.direction === 'src' ? 'sports' : m.direction === 'dst' ? 'dports' : 'ports'
      out += `${not(m.invert)} --${name} ${m.ports.map(formatPortRange).join(',')}`
      break
    }
    case 'comment':
      out += ` --comment ${saveString(m.comment)}`
      break
    case 'addrtype':
      if (m.srcType !== undefined) out += `${not(m.srcType.invert)} --src-type ${ordered(m.srcType.value, ADDR_TYPE_ORDER)}`
      if (m.dstType !== undefined) out += `${not(m.dstType.invert)} --dst-type ${ordered(m.dstType.value, ADDR_TYPE_ORDER)}`
      if (m.limitIfaceIn === true) out += ' --limit-iface-in'
      if (m.limitIfaceOut === true) out += ' --limit-iface-out'
      break
    case 'statistic':
      if (m.mode === 'random') out += ` --mode random${not(m.invert)} --probability ${formatProbability(m.probability)}`
      else out += ` --mode nth${not(m.invert)} --every ${m.every} --packet ${m.packet}`
      break
    case 'mark': case 'connmark':
      out += `${not(m.invert)} --mark ${hex(m.value)}${m.mask === 0xffffffff ? '' : '/' + hex(m.mask)}`
      break
    case 'conntrack':
      if (m.ctstate !== undefined) out += `${not(m.ctstate.invert)} --ctstate ${ordered(m.ctstate.value, CT_STATE_ORDER)}`
      if (m.ctproto !== undefined) out += `${not(m.ctproto.invert)} --ctproto ${m.ctproto.value}`
      out += ctAddr('ctorigsrc', m.ctorigsrc)
      out += ctAddr('ctorigdst', m.ctorigdst)
      out += ctAddr('ctreplsrc', m.ctreplsrc)
      out += ctAddr('ctrepldst', m.ctrepldst)
      out += ports('ctorigsrcport', m.ctorigsrcport)
      out += ports('ctorigdstport', m.ctorigdstport)
      out += ports('ctreplsrcport', m.ctreplsrcport)
      out += ports('ctrepldstport', m.ctrepldstport)
      if (m.ctstatus !== undefined) {
        const s = ordered(m.ctstatus.value, CT_STATUS_ORDER)
        out += `${not(m.ctstatus.invert)} --ctstatus ${s === '' ? 'NONE' : s}`
      }
      if (m.ctexpire !== undefined) out += `${not(m.ctexpire.invert)} --ctexpire ${formatPortRange(m.ctexpire.value)}`
      if (m.ctdir !== undefined) out += ` --ctdir ${m.ctdir}`
      break
    case 'state':
      out += `${not(m.state.invert)} --state ${ordered(m.state.value, CT_STATE_ORDER)}`
      break
    case 'recent':
      out += `${not(m.invert)} --${m.command}`
      if (m.seconds !== undefined) out += ` --seconds ${m.seconds}`
      if (m.reap) out += ' --reap'
      if (m.hitcount !== undefined) out += ` --hitcount ${m.hitcount}`
      if (m.rttl) out += ' --rttl'
      out += ` --name ${m.name} --mask ${formatIPv4(m.mask)} --${m.side}`
      break
    case 'physdev':
      if (m.isIn !== undefined) out += `${not(m.isIn.invert)} --physdev-is-in`
      if (m.physdevIn !== undefined) out += `${not(m.physdevIn.invert)} --physdev-in ${m.physdevIn.value}`
      if (m.isOut !== undefined) out += `${not(m.isOut.invert)} --physdev-is-out`
      if (m.physdevOut !== undefined) out += `${not(m.physdevOut.invert)} --physdev-out ${m.physdevOut.value}`
      if (m.isBridged !== undefined) out += `${not(m.isBridged.invert)} --physdev-is-bridged`
      break
    case 'unknown':
      for (const a of m.args) out += ' ' + tokenString(a)
      break
  }
  return out
}
