// Standalone netfilter endpoints over HTTP: traces (JSON and kernel-style text), canonical
// rendering, sequences sharing conntrack, parse errors with line/column, never a 500.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { build } from '../helper.ts'
import { TRACE_DIR } from '../netfilter/golden-helpers.ts'

const RULES = readFileSync(`${TRACE_DIR}/rules.txt`, 'utf8')
const HOST = {
  name: 'r',
  interfaces: [
    { name: 'eth0', addresses: ['192.168.50.1/24'], routeLocalnet: true },
    { name: 'cni0', addresses: ['10.244.1.1/24'], routeLocalnet: true }
  ],
  ipForward: true,
  routeLocalnet: true
}
const SYN = { inIface: 'eth0', src: '192.168.50.2', dst: '10.96.0.10', proto: 'tcp', sport: 51648, dport: 80, tcpFlags: ['SYN'], id: 30950 }

describe('POST /api/v1/netfilter/traces', () => {
  it('returns the structured trace of a forwarded ClusterIP packet (DNAT + MASQUERADE)', async (t) => {
    const { api } = await build(t)
    const r = await api.post('/api/v1/netfilter/traces').send({ ruleset: RULES, host: HOST, packet: SYN })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.kind, 'NetfilterTrace')
    const res = r.body.results[0]
    assert.equal(res.outcome.kind, 'EGRESS')
    assert.equal(res.outcome.outIface, 'cni0')
    assert.equal(res.packetAfter.dst, '10.244.1.5')
    assert.equal(res.packetAfter.src, '10.244.1.1')
    const dnat = res.steps.find((s: { type: string, chain?: string, n?: number }) => s.type === 'rule' && s.chain === 'KUBE-SEP-X' && s.n === 2)
    assert.equal(dnat.ruleText, '-A KUBE-SEP-X -p tcp -m comment --comment "ns/svc:http" -m tcp -j DNAT --to-destination 10.244.1.5:8080')
    assert.equal(dnat.verdict, 'ACCEPT')
    assert.equal(r.body.conntrack.length, 1)
    assert.match(r.body.conntrack[0], /^tcp SYN_SENT src=192\.168\.50\.2 dst=10\.96\.0\.10 sport=51648 dport=80 src=10\.244\.1\.5 dst=10\.244\.1\.1 sport=8080 /)
  })

  it('text/plain gives legacy TRACE lines; format=xtables-monitor the nft monitor lines', async (t) => {
    const { api } = await build(t)
    const r = await api.post('/api/v1/netfilter/traces').set('Accept', 'text/plain').send({ ruleset: RULES, host: HOST, packet: SYN })
    assert.equal(r.status, 200)
    assert.match(r.headers['content-type'], /text\/plain/)
    const tags = r.text.trim().split('\n').map(l => l.split(' ')[1])
    assert.deepEqual(tags, ['raw:PREROUTING:policy:2', 'nat:PREROUTING:rule:1', 'nat:KUBE-SERVICES:rule:1', 'nat:KUBE-SVC-X:rule:1', 'nat:KUBE-MARK-MASQ:rule:1',
      'nat:KUBE-MARK-MASQ:return:2', 'nat:KUBE-SVC-X:rule:2', 'nat:KUBE-SEP-X:rule:2', 'filter:FORWARD:rule:1', 'filter:KUBE-FORWARD:rule:2',
      'nat:POSTROUTING:rule:1', 'nat:KUBE-POSTROUTING:rule:2', 'nat:KUBE-POSTROUTING:rule:3'])
    const m = await api.post('/api/v1/netfilter/traces?format=xtables-monitor').send({ ruleset: RULES, host: HOST, packet: SYN, options: { backend: 'nft' } })
    assert.equal(m.status, 200)
    assert.match(m.text, /^PACKET: 2 [0-9a-f]{8} IN=eth0 /)
    assert.match(m.text, / TRACE: 2 [0-9a-f]{8} nat:KUBE-SEP-X:rule:0x1b:ACCEPT {2}-4 -t nat -A KUBE-SEP-X /)
  })

  it('a sequence shares conntrack: the reply is un-NATed and skips the nat chains', async (t) => {
    const { api } = await build(t)
    const first = await api.post('/api/v1/netfilter/traces').send({ ruleset: RULES, host: HOST, packet: SYN, options: { seed: 9 } })
    const masqPort = first.body.results[0].packetAfter.sport
    const reply = { inIface: 'cni0', src: '10.244.1.5', dst: '10.244.1.1', proto: 'tcp', sport: 8080, dport: masqPort, tcpFlags: ['SYN', 'ACK'] }
    const r = await api.post('/api/v1/netfilter/traces').send({ ruleset: RULES, host: HOST, packets: [SYN, reply], options: { seed: 9, detail: 'full' } })
    assert.equal(r.status, 200)
    const rep = r.body.results[1]
    assert.equal(rep.outcome.kind, 'EGRESS')
    assert.deepEqual([rep.packetAfter.src, rep.packetAfter.sport, rep.packetAfter.dst, rep.packetAfter.dport], ['10.96.0.10', 80, '192.168.50.2', 51648])
    assert.equal(rep.ct.state, 'ESTABLISHED')
    assert.equal(rep.steps.filter((s: { type: string, table?: string }) => s.type === 'rule' && s.table === 'nat').length, 0)
    const miss = rep.steps.find((s: { type: string, matched?: unknown }) => s.type === 'rule' && s.matched === false)
    assert.equal(miss.why, '--ctstate INVALID ≠ ESTABLISHED,SNAT,DNAT')
  })

  it('mode all enumerates branches with probabilities', async (t) => {
    const { api } = await build(t)
    const rules = RULES.replace('-A KUBE-SVC-X -m comment --comment "ns/svc:http -> 10.244.1.5:8080" -j KUBE-SEP-X',
      '-A KUBE-SVC-X -m statistic --mode random --probability 0.5 -j KUBE-SEP-X\n-A KUBE-SVC-X -j KUBE-SEP-X')
    const r = await api.post('/api/v1/netfilter/traces').send({ ruleset: rules, host: HOST, packet: SYN, options: { mode: 'all' } })
    assert.equal(r.status, 200)
    const b = r.body.results[0].branches
    assert.equal(b.length, 2)
    assert.deepEqual(b.map((x: { probability: number }) => x.probability), [0.5, 0.5])
    const capped = await api.post('/api/v1/netfilter/traces').send({ ruleset: rules, host: HOST, packet: SYN, options: { mode: 'all', maxBranches: 1 } })
    assert.equal(capped.status, 400)
    assert.match(capped.body.message, /more than 1 random branches/)
  })

  it('parse errors are 400 with line and column; bad hosts, packets and unknown fields are 400', async (t) => {
    const { api } = await build(t)
    const bad = await api.post('/api/v1/netfilter/traces').send({ ruleset: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n', host: HOST, packet: SYN })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.kind, 'Status')
    assert.match(bad.body.message, /^ruleset line 3/)
    assert.equal(bad.body.details.causes[0].field.startsWith('ruleset:3'), true)
    const nocommit = await api.post('/api/v1/netfilter/traces').send({ ruleset: '*filter\n:INPUT ACCEPT [0:0]\n', host: HOST, packet: SYN })
    assert.equal(nocommit.status, 400)
    assert.match(nocommit.body.message, /COMMIT/)
    const host = await api.post('/api/v1/netfilter/traces').send({ ruleset: RULES, host: { interfaces: [{ name: 'eth0', addresses: ['300.1.1.1/24'] }] }, packet: SYN })
    assert.equal(host.status, 400)
    assert.match(host.body.message, /^host: /)
    const pkt = await api.post('/api/v1/netfilter/traces').send({ ruleset: RULES, host: HOST, packet: { ...SYN, dst: '1.2.3' } })
    assert.equal(pkt.status, 400)
    const none = await api.post('/api/v1/netfilter/traces').send({ ruleset: RULES, host: HOST })
    assert.equal(none.status, 400)
    const extra = await api.post('/api/v1/netfilter/traces').send({ ruleset: RULES, host: HOST, packet: SYN, bogus: 1 })
    // unknown fields are refused, not dropped: 400 like the API server's strict decoding
    assert.equal(extra.status, 400)
    assert.match(JSON.stringify(extra.body), /bogus/)
  })

  it('never answers 500 on garbage input', async (t) => {
    const { api } = await build(t)
    const garbage = ['', '*', '*nat\n-A X -j Y\nCOMMIT\n', '*filter\n:INPUT ACCEPT\n-A INPUT -m foo --bar -j BAZ\nCOMMIT\n', 'COMMIT\n', '*filter\n-A INPUT -s 1.2.3.4/33\nCOMMIT', '\u0000\u0001', '*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j CT --zone 1\nCOMMIT\n']
    for (const g of garbage) {
      for (const packet of [SYN, { dst: '10.96.0.10', proto: 250 }, { dst: '127.0.0.1', proto: 'icmp', icmpType: 0 }]) {
        const r = await api.post('/api/v1/netfilter/traces').send({ ruleset: g, host: HOST, packet })
        assert.ok([200, 400, 422].includes(r.status), `${r.status} for ${JSON.stringify(g)}: ${JSON.stringify(r.body)}`)
      }
    }
  })
})

describe('POST /api/v1/netfilter/canonical', () => {
  it('renders iptables-save canonical text', async (t) => {
    const { api } = await build(t)
    const r = await api.post('/api/v1/netfilter/canonical').send({ ruleset: '*nat\n:POSTROUTING ACCEPT [0:0]\n:KUBE-MARK-MASQ - [0:0]\n-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\nCOMMIT\n' })
    assert.equal(r.status, 200)
    assert.equal(r.body.kind, 'NetfilterCanonical')
    assert.match(r.body.text, /-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000\/0x4000\n/)
    const txt = await api.post('/api/v1/netfilter/canonical').set('Accept', 'text/plain').send({ ruleset: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.1.2.3/8 -j ACCEPT\nCOMMIT\n' })
    assert.equal(txt.status, 200)
    assert.match(txt.text, /-A INPUT -s 10\.0\.0\.0\/8 -j ACCEPT/)
    const bad = await api.post('/api/v1/netfilter/canonical').send({ ruleset: '*filter\n:INPUT ACCEPT [0:0]\n-A NOPE -j ACCEPT\nCOMMIT\n' })
    assert.equal(bad.status, 400)
    assert.match(bad.body.message, /line 3/)
  })
})
