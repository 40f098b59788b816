import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { parseRuleset } from '../src/netfilter/parse/ruleset.ts'
import { renderRuleset } from '../src/netfilter/render/ruleset.ts'
import { NetfilterError } from '../src/netfilter/errors.ts'

let seed = Number(process.argv[3] ?? 1)
const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]
const maybe = (p: number, s: string): string => (rnd() < p ? s : '')

const frags = [
  () => `${maybe(0.3, '! ')}-s ${pick(['10.0.0.1', '10.1', '0x0a.0.0.0/0xff.0.0.0', '192.168.0.0/255.255.0.0', '1.2.3.4/0', '10.0.0.0/255.0.255.0', '1.1.1.1,2.2.2.2'])}`,
  () => `${maybe(0.3, '! ')}--dst ${pick(['10.0.0.1/32', '172.16.0.0/12', '8.8.8.8'])}`,
  () => `${maybe(0.3, '! ')}-i ${pick(['eth0', 'eth+', '+', 'veth12'])}`,
  () => `${maybe(0.3, '! ')}--out-int ${pick(['eth1', 'cni+'])}`,
  () => `-m comment --comm ${pick(['x', '"a b"', '"q\\"uote"', 'a\\b', '""', '"tab\there"', "it's", '"ns/svc:p"'])}`,
  () => `-m mark ${maybe(0.3, '! ')}--mark ${pick(['0x10', '010', '16/0xf0', '0xffffffff', '0'])}`,
  () => `-m connmark --mark=${pick(['1', '0x4000/0x4000'])}`,
  () => `-m conntrack ${maybe(0.3, '! ')}--ctst ${pick(['NEW', 'est,rel', 'DNAT,SNAT', 'invalid'])}`,
  () => `-m conntrack --ctproto ${pick(['udp', '6', 'icmp'])} ${maybe(0.5, '--ctorigdstport 53:54')}`,
  () => `-m statistic --mode random --prob ${pick(['0.5', '0.33333', '0.2000000000', '1e-1', '.25'])}`,
  () => `-m addrtype --dst-t ${pick(['LOCAL', 'loc,bro', 'MULTICAST'])}`,
  () => `-m recent --name ${pick(['A', 'KUBE-SEP-X'])} ${pick(['--rcheck --seconds 60', '--update --hitcount 3 --rttl', '--set --rdest', '--remove'])}`,
  () => `-m state --state ${pick(['NEW,ESTABLISHED', 'RELATED'])}`,
  () => `-m physdev ${pick(['--physdev-out br+', '! --physdev-is-in', '--physdev-is-bridged'])}`,
  () => `-m limit --limit ${pick(['3/min', '10/s'])} ${maybe(0.5, '--limit-burst 4')}`
]
const protoFrags = [
  () => `-p tcp ${pick(['--dp 0x50', '--sp 1024:', '--dport :80', '--syn', '! --tcp-flags SYN,ACK SYN', '--destination-port=443', '-m tcp --tcp-option 2', '-m multiport --dports 1,2:3,0x10'])}`,
  () => `-p udp ${pick(['--dport 53', '! --sport 0:1023', '-m udp --dp=67', '-m multiport ! --ports 5,6'])}`,
  () => `-p icmp ${pick(['--icmp-type echo-request', '--icmp-type 3/4', '! --icmp-type any', '--icmp-type host-unr'])}`,
  () => `-p ${pick(['sctp --dport 9', 'gre', '47', 'ALL', 'esp', '0x11 --dport 1'])}`
]
const targets: Record<string, Array<() => string>> = {
  filter: [() => '-j ACCEPT', () => '-j DROP', () => '-j RETURN', () => '-g C2', () => '-j C1', () => pick(['-j REJECT --reject-with icmp-net-prohib', '-j REJECT --reject-w admin']), () => '-j LOG --log-pre "p: " --log-lev notice', () => '-j MARK --xor-mark 0x3', () => '', () => '-j CONNMARK --restore-mark --nfmask 0xf0', () => '-j NFLOG --nflog-group 2'],
  nat: [() => '-j RETURN', () => '-j C1', () => '-j MARK --or-mark 0x4000', () => pick(['-p tcp -j DNAT --to 10.0.0.1:8080', '-j DNAT --to-destination 10.9.9.9', '-p udp -j REDIRECT --to-p 53', '-j MASQUERADE --random-fully', '-j SNAT --to-so 1.2.3.4-1.2.3.5'])]
}

const cases: string[] = []
for (let n = 0; n < Number(process.argv[2] ?? 100); n++) {
  const table = pick(['filter', 'nat'])
  const lines = [`*${table}`, ':C1 - [0:0]', ':C2 - [0:0]']
  const nr = 1 + Math.floor(rnd() * 5)
  for (let r = 0; r < nr; r++) {
    const parts: string[] = []
    if (rnd() < 0.5) parts.push(pick(protoFrags)())
    const k = Math.floor(rnd() * 3)
    for (let j = 0; j < k; j++) parts.push(pick(frags)())
    for (let j = parts.length - 1; j > 0; j--) { const i = Math.floor(rnd() * (j + 1)); [parts[i], parts[j]] = [parts[j], parts[i]] }
    parts.push(pick(targets[table])())
    const cmd = pick(['-A C1', '-A C2', '-I C1', '-A C1', `-I C2 ${1 + Math.floor(rnd() * 2)}`, '--append C2', '-A ' + (table === 'nat' ? 'PREROUTING' : 'INPUT')])
    lines.push(`${cmd} ${parts.join(' ')}`.replace(/ +/g, ' ').trim())
  }
  if (rnd() < 0.2) lines.push(pick(['-D C1 1', '-F C2', '-Z C1', '-P ' + (table === 'nat' ? 'OUTPUT' : 'FORWARD') + ' ACCEPT']))
  lines.push('COMMIT', '')
  cases.push(lines.join('\n'))
}
const records: Array<{ input: string, kernel: string | null, kernelError?: string }> = []
let same = 0, diff = 0, bothErr = 0, weErr = 0, theyErr = 0
spawnSync('ip', ['netns', 'add', 'kns-parse'])
for (const input of cases) {
  let ours: string | null = null
  let oursErr = ''
  try { ours = renderRuleset(parseRuleset(input)) } catch (e) { if (!(e instanceof NetfilterError)) throw e; oursErr = e.message }
  writeFileSync('/tmp/d2.in', input)
  const r = spawnSync('sh', ['-c', 'ip netns exec kns-parse iptables-restore < /tmp/d2.in'], { encoding: 'utf8' })
  let theirs: string | null = null
  if (r.status === 0) {
    const table = input.slice(1, input.indexOf('\n'))
    theirs = spawnSync('ip', ['netns', 'exec', 'kns-parse', 'iptables-save', '-t', table], { encoding: 'utf8' }).stdout.split('\n').filter(l => !l.startsWith('#')).join('\n')
  }
  records.push(theirs === null ? { input, kernel: null, kernelError: r.stderr.split('\n').filter(l => l.length > 0 && !l.startsWith('Try ')).join('\n') } : { input, kernel: theirs })
  if (ours === null && theirs === null) {
    bothErr++
    const reason = oursErr.replace(/^line \d+: /, '')
    if (!r.stderr.includes(reason.trim())) console.log('MSG ours:', oursErr, '\n    kernel:', r.stderr.split('\n').slice(0, 3).join(' | '), '\n', input)
  } else if (ours === null) { weErr++; console.log('WE ERR:', oursErr, '\n', input) }
  else if (theirs === null) { theyErr++; console.log('THEY ERR:', r.stderr, '\n', input) }
  else if (ours === theirs) same++
  else {
    diff++
    const a = ours.split('\n'), b = theirs.split('\n')
    for (let k = 0; k < Math.max(a.length, b.length); k++) if (a[k] !== b[k]) console.log('DIFF ours  :', a[k], '\n     kernel:', b[k])
  }
}
spawnSync('ip', ['netns', 'del', 'kns-parse'])
if (process.argv[4]) writeFileSync(process.argv[4], '[' + records.map(r => JSON.stringify(r)).join(',\n') + ']\n')
console.log({ same, diff, bothErr, weErr, theyErr })
