// Property tests: canonical rendering is a fixed point of parse∘render, and arbitrary or mutated
// input only ever yields a ruleset or a NetfilterError, quickly.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { parseRuleset, renderRuleset, NetfilterError } from '../../src/netfilter/index.ts'
import { sharedPath } from '../shared-dir.ts'

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
  fc.constantFrom('-m limit --limit 5/min', '-m set --match-set KUBE-IPS dst,dst')
)

const target = (table: string): fc.Arbitrary<string> => fc.oneof(
  fc.constantFrom('-j ACCEPT', '-j RETURN', '-j C1', '-g C2', '', '-j LOG --log-prefix "x y" --log-level info', '-j MARK --or-mark 0x4000', '-j CONNMARK --save-mark'),
  table === 'nat' ? fc.constantFrom('-j MASQUERADE', '-j DNAT --to-destination 10.0.0.1') : table === 'filter' ? fc.constantFrom('-j DROP', '-j REJECT --reject-with icmp-host-prohibited') : fc.constant('-j DROP')
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

test('render(parse(render(parse(x)))) === render(parse(x)) for generated rulesets', () => {
  let parsed = 0
  fc.assert(fc.property(fc.array(tableArb, { minLength: 1, maxLength: 3 }), tables => {
    const input = tables.join('')
    let once: string
    try {
      once = renderRuleset(parseRuleset(input))
    } catch (e) {
      if (e instanceof NetfilterError) return true
      throw e
    }
    parsed++
    assert.equal(renderRuleset(parseRuleset(once)), once)
    return true
  }), { numRuns: 400 })
  assert.ok(parsed > 200, `only ${parsed} generated rulesets parsed`)
})

const seeds = [
  sharedPath('conformance/kernel-traces/canon.rules'),
  sharedPath('conformance/kernel-traces/canon2.rules'),
  sharedPath('conformance/kube-proxy/kube-proxy-expected-TestOverallIPTablesRules.txt')
].map(f => readFileSync(f, 'utf8'))

function onlyNetfilterErrors (input: string): void {
  const t0 = performance.now()
  try {
    parseRuleset(input)
  } catch (e) {
    if (!(e instanceof NetfilterError)) throw new Error(`non-NetfilterError for ${JSON.stringify(input.slice(0, 200))}: ${String(e)}`)
    assert.ok(e.line >= 1 && e.reason.length > 0)
  }
  assert.ok(performance.now() - t0 < 2000, 'parse took too long')
}

test('random and mutated inputs only ever throw NetfilterError (2,000+ inputs)', () => {
  const mutation = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat(20), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 6 }))
    .map(([s, edits]) => {
      let out = s
      for (const [pos, del, ins] of edits) {
        const p = pos % (out.length + 1)
        out = out.slice(0, p) + ins + out.slice(p + del)
      }
      return out
    })
  const tokenSoup = fc.array(fc.constantFrom('-A', 'X', '-p', 'tcp', '--dport', '80', '!', '-m', 'comment', '--comment', '"', 'x y', '-j',
    'ACCEPT', 'DNAT', '--to', '1.2.3.4:5', '-s', '10.1', ',', '--', '-', '=', ':', '*nat', 'COMMIT', '\n', '[1:2]', '-N', '-X', '-E', '-I', '1',
    '-D', '-R', '-F', '-P', 'INPUT', 'DROP', 'recent', '--set', 'statistic', '--mode', 'random', '--probability', '0.5', 'multiport', '--dports',
    '1:2,3', 'conntrack', '--ctstate', 'NEW', 'MARK', '--or-mark', '0x4000', '-g', '--to-destination', 'nth', '--every', '2', '--packet', 'limit', '-c'),
  { maxLength: 40 }).map(ts => '*filter\n:X - [0:0]\n:INPUT ACCEPT [0:0]\n' + ts.join(' ') + '\nCOMMIT\n')
  fc.assert(fc.property(mutation, m => { onlyNetfilterErrors(m) }), { numRuns: 1000 })
  fc.assert(fc.property(tokenSoup, s => { onlyNetfilterErrors(s) }), { numRuns: 800 })
  fc.assert(fc.property(fc.string({ maxLength: 300 }), s => { onlyNetfilterErrors(s); onlyNetfilterErrors('*filter\n' + s) }), { numRuns: 300 })
})

test('pathological inputs stay linear: long lines of quotes, bangs and commas', () => {
  const t0 = performance.now()
  for (const filler of ['"', '!', ',', '\\', '-', ' ', 'a']) {
    const body = filler.repeat(10000)
    onlyNetfilterErrors(`*filter\n:X - [0:0]\n-A X -s ${body}\nCOMMIT\n`)
    onlyNetfilterErrors(`*filter\n:X - [0:0]\n-A X -m comment --comment ${body}\nCOMMIT\n`)
  }
  onlyNetfilterErrors('*filter\n' + ':X - [0:0]\n'.repeat(20000) + 'COMMIT\n')
  assert.ok(performance.now() - t0 < 15000)
})
