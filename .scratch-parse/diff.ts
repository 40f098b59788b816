import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import fc from 'fast-check'
import { parseRuleset } from '/work/main/src/netfilter/parse/ruleset.ts'
import { renderRuleset } from '/work/main/src/netfilter/render/ruleset.ts'
import { NetfilterError } from '/work/main/src/netfilter/errors.ts'
const quote = (s: string): string => '"' + s.replace(/[\\"]/g, c => '\\' + c) + '"'
const octet = fc.integer({ min: 0, max: 255 })
const addr = fc.tuple(octet, octet, octet, octet, fc.option(fc.integer({ min: 0, max: 32 }), { nil: undefined }))
  .map(([a, b, c, d, len]) => `${a}.${b}.${c}.${d}${len === undefined ? '' : '/' + len}`)
const neg = fc.boolean().map(b => (b ? '! ' : ''))
const port = fc.integer({ min: 0, max: 65535 })
const portSpec = fc.oneof(port.map(String), fc.tuple(port, port).map(([a, b]) => `${Math.min(a, b)}:${Math.max(a, b)}`))
const u32 = fc.integer({ min: 0, max: 0xffffffff })
const text = fc.string({ unit: fc.constantFrom('a', 'B', '9', '_', '-', ' ', '/', ':', '"', '\\', '\'', '#', '!', 'é'), maxLength: 30 })
const iface = fc.constantFrom('eth0', 'eth+', 'cni0', 'lo', 'veth1234')

const portMatch = (proto: string): fc.Arbitrary<string> => fc.oneof(
  fc.tuple(neg, portSpec).map(([n, p]) => `${n}--dport ${p}`),
  fc.tuple(neg, portSpec).map(([n, p]) => `${n}--sport ${p}`),
  fc.tuple(neg, portSpec, neg, portSpec).map(([n, p, m, q]) => `-m ${proto} ${n}--sport ${p} ${m}--dport ${q}`),
  fc.array(portSpec, { minLength: 1, maxLength: 7 }).map(ps => `-m multiport --dports ${ps.map(p => p.includes(':') && p.split(':')[0] === p.split(':')[1] ? p.split(':')[0] : p).join(',')}`)
)

const genericMatch: fc.Arbitrary<string> = fc.oneof(
  text.map(t => `-m comment --comment ${quote(t)}`),
  fc.tuple(neg, u32, fc.option(u32)).map(([n, v, m]) => `-m mark ${n}--mark ${v}${m === null ? '' : '/' + m}`),
  fc.tuple(neg, u32).map(([n, v]) => `-m connmark ${n}--mark 0x${v.toString(16)}`),
  fc.tuple(neg, fc.double({ min: 0, max: 1, noNaN: true })).map(([n, p]) => `-m statistic --mode random ${n}--probability ${p.toFixed(10)}`),
  fc.tuple(neg, fc.integer({ min: 1, max: 50 }), fc.nat(49)).map(([n, e, p]) => `-m statistic --mode nth ${n}--every ${e} --packet ${p % e}`),
  fc.tuple(neg, fc.subarray(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT'], { minLength: 1 })).map(([n, s]) => `-m conntrack ${n}--ctstate ${s.join(',')}`),
  fc.tuple(neg, fc.subarray(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID'], { minLength: 1 })).map(([n, s]) => `-m state ${n}--state ${s.join(',')}`),
  fc.tuple(neg, addr, neg, portSpec).map(([n, a, m, p]) => `-m conntrack ${n}--ctorigdst ${a} ${m}--ctorigdstport ${p} --ctdir REPLY`),
  fc.tuple(neg, fc.subarray(['LOCAL', 'unicast', 'BROAD', 'multicast'], { minLength: 1 })).map(([n, t]) => `-m addrtype ${n}--dst-type ${t.join(',')}`),
  fc.tuple(neg, fc.constantFrom('set', 'rcheck', 'update', 'remove'), fc.option(fc.integer({ min: 1, max: 99999 })), fc.constantFrom('', '--rdest', '--rsource'))
    .map(([n, c, s, side]) => `-m recent ${n}--${c} --name SEP${c.length} ${s === null ? '' : `--seconds ${s} --reap`} ${side}`),
  fc.tuple(neg, iface, neg).map(([n, i, m]) => `-m physdev ${n}--physdev-in ${i} ${m}--physdev-is-bridged`),
  fc.constantFrom('-m limit --limit 5/min', '-m limit --limit 3/hour --limit-burst 9')
)

const target = (table: string): fc.Arbitrary<string> => fc.oneof(
  fc.constantFrom('-j ACCEPT', '-j RETURN', '-j C1', '-g C2', '', '-j LOG --log-prefix "x y" --log-level info', '-j MARK --or-mark 0x4000', '-j CONNMARK --save-mark'),
  table === 'nat' ? fc.constantFrom('-j MASQUERADE', '-j DNAT --to-destination 10.0.0.1') : fc.constantFrom('-j DROP', '-j REJECT --reject-with icmp-host-prohibited')
)

const ruleSpec = (table: string): fc.Arbitrary<string> => fc.tuple(
  fc.option(fc.tuple(neg, addr).map(([n, a]) => `${n}-s ${a}`)),
  fc.option(fc.tuple(neg, addr).map(([n, a]) => `${n}-d ${a}`)),
  fc.option(fc.tuple(neg, iface).map(([n, i]) => `${n}-i ${i}`)),
  fc.constantFrom('tcp', 'udp', 'icmp', 'sctp', 'gre', ''),
  fc.array(genericMatch, { maxLength: 3 }),
  fc.boolean(),
  target(table)
).chain(([s, d, i, proto, ms, withPorts, t]) => {
  const portPart = withPorts && (proto === 'tcp' || proto === 'udp') ? portMatch(proto) : fc.constant(proto === 'icmp' ? '--icmp-type echo-request' : '')
  return fc.tuple(portPart, fc.shuffledSubarray([s ?? '', d ?? '', i ?? '', ...ms])).map(([pp, rest]) =>
    [proto === '' ? '' : `-p ${proto}`, pp, ...rest, t].filter(x => x !== '').join(' '))
})

const tableArb = fc.constantFrom('filter', 'nat', 'mangle', 'raw').chain(table =>
  fc.array(fc.tuple(fc.constantFrom('C1', 'C2', 'Z9', 'a-chain'), ruleSpec(table)), { maxLength: 8 }).map(rules => [
    `*${table}`, ':C1 - [0:0]', ':C2 - [0:0]', ':Z9 - [0:0]', ':a-chain - [0:0]',
    ...rules.map(([c, r]) => `-A ${c} ${r}`), 'COMMIT'
  ].join('\n') + '\n'))


const samples = fc.sample(tableArb, { numRuns: Number(process.argv[2] ?? 100), seed: Number(process.argv[3] ?? 1) })
const records: Array<{ input: string, kernel: string | null }> = []
let same = 0, diff = 0, bothErr = 0, weErr = 0, theyErr = 0
spawnSync('ip', ['netns', 'add', 'kns-parse'])
for (const input of samples) {
  let ours: string | null = null
  let oursErr = ''
  try { ours = renderRuleset(parseRuleset(input)) } catch (e) { if (!(e instanceof NetfilterError)) throw e; oursErr = e.message }
  writeFileSync('/tmp/d.in', input)
  const r = spawnSync('sh', ['-c', 'ip netns exec kns-parse iptables-restore < /tmp/d.in'], { encoding: 'utf8' })
  let theirs: string | null = null
  if (r.status === 0) {
    const table = input.slice(1, input.indexOf('\n'))
    theirs = spawnSync('ip', ['netns', 'exec', 'kns-parse', 'iptables-save', '-t', table], { encoding: 'utf8' }).stdout.split('\n').filter(l => !l.startsWith('#')).join('\n')
  }
  records.push({ input, kernel: theirs })
  if (ours === null && theirs === null) {
    bothErr++
    const reason = oursErr.replace(/^line \d+: /, '')
    if (!r.stderr.includes(reason.trim())) console.log('MSG ours:', oursErr, '\n    kernel:', r.stderr.split('\n').slice(0, 2).join(' | '))
  }
  else if (ours === null) { weErr++; console.log('WE ERR:', oursErr, '\n', input) }
  else if (theirs === null) {
    theyErr++
    const lines = input.split('\n')
    console.log('STDERR', r.stderr.replace(/\n/g, ' | '));for (const m of r.stderr.matchAll(/line:? (\d+)/g)) console.log('THEY ERR:', lines[Number(m[1]) - 1], '|', r.stderr.split('\n').find(l => l.includes('line ' + m[1]) || l.length > 0))
  }
  else if (ours === theirs) same++
  else {
    diff++
    const a = ours.split('\n'), b = theirs.split('\n')
    for (let k = 0; k < Math.max(a.length, b.length); k++) if (a[k] !== b[k]) console.log('DIFF ours  :', a[k], '\n     kernel:', b[k])
  }
}
spawnSync('ip', ['netns', 'del', 'kns-parse'])
if (process.argv[4]) writeFileSync(process.argv[4], JSON.stringify(records, null, 0).replace(/\},\{/g, '},\n{') + '\n')
console.log({ same, diff, bothErr, weErr, theyErr })
