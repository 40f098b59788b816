// Property tests: (1) on random filter rulesets without NAT the engine's verdict equals a tiny
// reference evaluator written from the big-step semantics (call/return, goto, policy, decision);
// (2) random multi-table rulesets and random packets never crash the evaluator; (3) `all`-mode
// branch probabilities always sum to 1.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { parseRuleset, prepareRuleset, createEngineState, evaluatePacket, createHost, EvaluationError } from '../../src/netfilter/index.ts'
import type { Packet } from '../../src/netfilter/index.ts'
import { NODE } from './eval-helpers.ts'

const host = createHost(NODE)

interface RMatch { text: string, test: (p: RPkt) => boolean }
interface RPkt { src: string, proto: 'tcp' | 'udp', dport: number, mark: number, inIface: string }
const MATCHES: RMatch[] = [
  { text: '', test: () => true },
  { text: '-s 10.0.0.0/8', test: p => p.src.startsWith('10.') },
  { text: '! -s 10.0.0.0/8', test: p => !p.src.startsWith('10.') },
  { text: '-p tcp', test: p => p.proto === 'tcp' },
  { text: '-p udp', test: p => p.proto === 'udp' },
  { text: '-p tcp --dport 80', test: p => p.proto === 'tcp' && p.dport === 80 },
  { text: '-m mark --mark 0x1/0x1', test: p => (p.mark & 1) === 1 },
  { text: '-m mark ! --mark 0x2/0x2', test: p => (p.mark & 2) === 0 },
  { text: '-i eth0', test: p => p.inIface === 'eth0' },
  { text: '-m comment --comment x', test: () => true }
]
type RTarget = { k: 'ACCEPT' | 'DROP' | 'RETURN' | 'NONE' } | { k: 'jump' | 'goto', to: number } | { k: 'or' | 'xor', v: number }
interface RRule { m: number, t: RTarget }

const targetArb = (chain: number, nChains: number): fc.Arbitrary<RTarget> => {
  const opts: Array<fc.Arbitrary<RTarget>> = [
    fc.constantFrom<RTarget>({ k: 'ACCEPT' }, { k: 'DROP' }, { k: 'RETURN' }, { k: 'NONE' }, { k: 'or', v: 1 }, { k: 'xor', v: 2 })
  ]
  if (chain + 1 < nChains) opts.push(fc.record({ k: fc.constantFrom<'jump' | 'goto'>('jump', 'goto'), to: fc.integer({ min: chain + 1, max: nChains - 1 }) }))
  return fc.oneof(...opts)
}

const rulesetArb = fc.integer({ min: 1, max: 4 }).chain(n => fc.record({
  policy: fc.constantFrom('ACCEPT', 'DROP'),
  chains: fc.tuple(...Array.from({ length: n }, (_, c) => fc.array(fc.record({ m: fc.integer({ min: 0, max: MATCHES.length - 1 }), t: targetArb(c, n) }), { maxLength: 5 })))
}))

const pktArb = fc.record({
  src: fc.constantFrom('10.1.2.3', '192.168.1.5'),
  proto: fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp'),
  dport: fc.constantFrom(80, 443),
  mark: fc.integer({ min: 0, max: 3 }),
  inIface: fc.constantFrom('eth0', 'cni0')
})

const cname = (i: number): string => i === 0 ? 'INPUT' : `C${i}`

function toText (rs: { policy: string, chains: RRule[][] }): string {
  const lines = ['*filter', `:INPUT ${rs.policy} [0:0]`, ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]']
  for (let i = 1; i < rs.chains.length; i++) lines.push(`:C${i} - [0:0]`)
  rs.chains.forEach((rules, i) => {
    for (const r of rules) {
      const t = r.t
      const tt = t.k === 'NONE' ? '' : t.k === 'jump' ? `-j ${cname(t.to)}` : t.k === 'goto' ? `-g ${cname(t.to)}` : t.k === 'or' ? '-j MARK --or-mark 0x1' : t.k === 'xor' ? '-j MARK --xor-mark 0x2' : `-j ${t.k}`
      lines.push(`-A ${cname(i)} ${MATCHES[r.m].text} ${tt}`.replace(/ +/g, ' ').trimEnd())
    }
  })
  lines.push('COMMIT')
  return lines.join('\n') + '\n'
}

/** Reference: big-step semantics with call/return and goto (the call returns even through gotos). */
function reference (rs: { policy: string, chains: RRule[][] }, p0: RPkt): 'ACCEPT' | 'DROP' {
  const p = { ...p0 }
  const evalChain = (c: number): 'ACCEPT' | 'DROP' | 'RETURN' => {
    for (const r of rs.chains[c]) {
      if (!MATCHES[r.m].test(p)) continue
      const t = r.t
      if (t.k === 'ACCEPT' || t.k === 'DROP') return t.k
      if (t.k === 'RETURN') return 'RETURN'
      if (t.k === 'or') { p.mark |= t.v; continue }
      if (t.k === 'xor') { p.mark ^= t.v; continue }
      if (t.k === 'jump') { const x = evalChain(t.to); if (x !== 'RETURN') return x; continue }
      if (t.k === 'goto') return evalChain(t.to)
    }
    return 'RETURN'
  }
  const v = evalChain(0)
  return v === 'RETURN' ? rs.policy as 'ACCEPT' | 'DROP' : v
}

test('random filter rulesets: engine verdict = reference big-step semantics', () => {
  fc.assert(fc.property(rulesetArb, pktArb, (rs, rp) => {
    const prepared = prepareRuleset(parseRuleset(toText(rs)))
    const pkt: Packet = { inIface: rp.inIface, src: rp.src, dst: rp.inIface === 'eth0' ? '192.168.1.1' : '10.244.0.1', proto: rp.proto, sport: 1234, dport: rp.dport, mark: rp.mark }
    const r = evaluatePacket(prepared, host, pkt, createEngineState(), { detail: 'full' })
    const want = reference(rs, rp)
    assert.equal(r.outcome.kind, want === 'ACCEPT' ? 'DELIVERED' : 'DROPPED', toText(rs))
  }), { numRuns: 150, seed: 4242 })
})

const FRAGMENTS = [
  '', '-p tcp', '-p udp --dport 53', '-p tcp --dport 80', '-s 10.0.0.0/8', '! -d 192.168.1.1', '-i eth+', '-o cni0',
  '-m addrtype --dst-type LOCAL', '-m conntrack --ctstate NEW', '-m conntrack --ctstate INVALID', '-m mark --mark 0x4000/0x4000',
  '-m statistic --mode random --probability 0.5', '-m statistic --mode random --probability 0.25', '-m statistic --mode nth --every 2 --packet 0',
  '-m recent --name R --set', '-m recent --name R --rcheck --seconds 5', '-m limit --limit 1/s', '-m connmark --mark 0x1',
  '-p tcp -m multiport --dports 80,443', '-m physdev --physdev-is-bridged', '-f'
]
const TARGETS: Record<string, string[]> = {
  raw: ['-j ACCEPT', '-j TRACE', '-j NOTRACK', '-j CT --notrack', ''],
  mangle: ['-j MARK --or-mark 0x4000', '-j CONNMARK --save-mark', '-j ACCEPT', '-j RETURN', ''],
  nat: ['-j MARK --or-mark 0x4000', '-j RETURN', '-j ACCEPT', '-p tcp -j DNAT --to-destination 10.244.0.9:8080', '-j MASQUERADE', '-j SNAT --to-source 192.168.1.1', '-p tcp -j REDIRECT --to-ports 8080', ''],
  filter: ['-j ACCEPT', '-j DROP', '-j REJECT', '-j RETURN', '-j LOG', '-j NFLOG', '']
}
const HOOKS: Record<string, string[]> = { raw: ['PREROUTING', 'OUTPUT'], mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'], nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], filter: ['INPUT', 'FORWARD', 'OUTPUT'] }

const bigArb = fc.array(fc.record({
  table: fc.constantFrom('raw', 'mangle', 'nat', 'filter'),
  hook: fc.nat(4),
  frag: fc.constantFrom(...FRAGMENTS),
  target: fc.nat(7)
}), { maxLength: 12 })

function bigText (rules: Array<{ table: string, hook: number, frag: string, target: number }>): string {
  let out = ''
  for (const t of ['raw', 'mangle', 'nat', 'filter']) {
    out += `*${t}\n` + HOOKS[t].map(h => `:${h} ACCEPT [0:0]\n`).join('')
    for (const r of rules.filter(x => x.table === t)) {
      const hook = HOOKS[t][r.hook % HOOKS[t].length]
      const tgts = TARGETS[t]
      let tg = tgts[r.target % tgts.length]
      if (t === 'nat' && /DNAT|REDIRECT/.test(tg) && !['PREROUTING', 'OUTPUT'].includes(hook)) tg = ''
      if (t === 'nat' && /MASQUERADE|SNAT/.test(tg) && hook !== 'POSTROUTING') tg = ''
      if (/-o cni0/.test(r.frag) && ['PREROUTING', 'INPUT'].includes(hook)) continue
      if (/-i eth/.test(r.frag) && ['POSTROUTING', 'OUTPUT'].includes(hook)) continue
      if (/-p tcp/.test(tg) && /-p (udp|tcp)/.test(r.frag)) tg = tg.replace('-p tcp ', '')
      if (/multiport|--dport/.test(r.frag) && /-p tcp -j/.test(tg)) continue
      out += `-A ${hook} ${r.frag} ${tg}`.replace(/ +/g, ' ').trimEnd() + '\n'
    }
    out += 'COMMIT\n'
  }
  return out
}

const anyPkt = fc.record({
  local: fc.boolean(),
  inIface: fc.constantFrom('eth0', 'cni0', 'lo'),
  src: fc.constantFrom('192.168.1.5', '10.244.0.5', '127.0.0.1', '10.1.1.1'),
  dst: fc.constantFrom('192.168.1.1', '10.244.0.5', '8.8.8.8', '127.0.0.1', '10.96.0.10', '192.168.1.255'),
  proto: fc.constantFrom<'tcp' | 'udp' | 'icmp'>('tcp', 'udp', 'icmp'),
  flags: fc.constantFrom(['SYN'], ['ACK'], ['RST'], ['SYN', 'ACK'], []),
  fragment: fc.boolean()
})

test('random rulesets and packets never crash the evaluator; all-mode probabilities sum to 1', () => {
  fc.assert(fc.property(bigArb, fc.array(anyPkt, { minLength: 1, maxLength: 3 }), (rules, pkts) => {
    let prepared
    try { prepared = prepareRuleset(parseRuleset(bigText(rules))) } catch (e) { if ((e as Error).name === 'NetfilterError') return; throw e }
    const st = createEngineState({ seed: 5 })
    for (const q of pkts) {
      const pkt: Packet = { src: q.src, dst: q.dst, proto: q.proto, sport: 1000, dport: 80, tcpFlags: [...q.flags], fragment: q.fragment, ...(q.local ? {} : { inIface: q.inIface }) }
      for (const detail of ['full', 'matched'] as const) {
        const r = evaluatePacket(prepared, host, pkt, st, { detail })
        assert.ok(typeof r.outcome.kind === 'string')
      }
      try {
        const all = evaluatePacket(prepared, host, pkt, st, { mode: 'all', maxBranches: 64 })
        const sum = all.branches.reduce((a, b) => a + b.probability, 0)
        assert.ok(Math.abs(sum - 1) < 1e-9, `sum ${sum}`)
      } catch (e) {
        if (!(e instanceof EvaluationError && e.code === 'E_BRANCH_LIMIT')) throw e
      }
    }
  }), { numRuns: 100, seed: 99 })
})

test('indexed dispatch (matched detail) = linear scan (full detail) on kube-proxy-shaped chains', () => {
  const svc: string[] = []
  const chains: string[] = []
  for (let i = 0; i < 40; i++) {
    const proto = i % 3 === 0 ? 'udp' : 'tcp'
    chains.push(`:S${i} - [0:0]`)
    // duplicates and a mid-run rule without -d exercise first-match order
    svc.push(`-A SVCS -d 10.96.0.${i % 20}/32 -p ${proto} -m comment --comment "s${i}" -m ${proto} --dport ${80 + (i % 4)} -j S${i}`)
    if (i === 25) svc.push('-A SVCS -p tcp -m tcp --dport 81 -j MARK --or-mark 0x1')
    svc.push(`-A S${i} -j MARK --or-mark 0x${(i + 2).toString(16)}`)
  }
  const text = `*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:SVCS - [0:0]\n${chains.join('\n')}\n-A PREROUTING -j SVCS\n-A PREROUTING -j SVCS\n${svc.join('\n')}\nCOMMIT\n`
  const prepared = prepareRuleset(parseRuleset(text))
  assert.ok(prepared.indexedRuns >= 1)
  fc.assert(fc.property(fc.integer({ min: 0, max: 24 }), fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp'), fc.integer({ min: 78, max: 84 }), (d, proto, dport) => {
    const pkt: Packet = { inIface: 'eth0', src: '192.168.1.5', dst: `10.96.0.${d}`, proto, sport: 1, dport }
    const key = (detail: 'full' | 'matched'): string[] => evaluatePacket(prepared, host, pkt, createEngineState(), { detail }).steps
      .filter(s => s.type === 'rule' && s.matched === true).map(s => s.type === 'rule' ? `${s.chain}:${s.kind}:${s.n}:${s.packet.mark}` : '')
    assert.deepEqual(key('matched'), key('full'))
  }), { numRuns: 80, seed: 7 })
})
