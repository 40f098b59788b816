/**
 * Rules and traces over GraphQL answer what REST answers: cluster traces (all and sample modes,
 * detail full, errors), the session-affinity state shared by both APIs, the standalone engine's
 * trace, and each node's iptables views.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { base, build, type Built } from '../helper.ts'
import { gql, gqlData, stripNulls, withFragments } from './helper.ts'
import { populate } from './fixtures.ts'

const TRACE_Q = withFragments('query($c: String!, $p: TracePacketInput!, $o: TraceOptionsInput) { trace(cluster: $c, packet: $p, options: $o) { ...TraceFields } }')

describe('GraphQL rules and traces (parity with REST)', () => {
  let api: Built['api']
  const hooks: Array<() => unknown> = []
  before(async () => {
    const b = await build({ after: (f) => { hooks.push(f) } }, { seedDemo: true })
    api = b.api
    await populate(api)
  })
  after(async () => { for (const h of hooks) await h() })

  const both = async (cluster: string, packet: Record<string, unknown>, options: Record<string, unknown> = {}): Promise<{ rest: any, graphql: any }> => {
    const r = await api.post(base(cluster) + '/traces').send({ ...packet, ...options })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const d = await gqlData(api, TRACE_Q, { c: cluster, p: packet, o: options })
    return { rest: r.body, graphql: stripNulls(d.trace) }
  }

  const cases: Array<{ name: string, cluster: string, packet: Record<string, unknown>, options?: Record<string, unknown> }> = [
    { name: 'the seed NodePort from an external client, all mode', cluster: 'demo', packet: { protocol: 'TCP', destination: { address: '192.168.33.10', port: 30136 }, source: { address: '192.168.33.1' } }, options: { mode: 'all' } },
    { name: 'ClusterIP from a pod on another node, detail full', cluster: 'c', packet: { protocol: 'TCP', destination: { address: '', port: 80 }, source: { pod: 'other/db-1' } }, options: { mode: 'all', detail: 'full' } },
    { name: 'host process to a UDP port, no reply', cluster: 'c', packet: { protocol: 'UDP', destination: { address: '', port: 53 }, source: { node: 'n2' } }, options: { reply: false } },
    { name: 'LoadBalancer source range blocked', cluster: 'c', packet: { protocol: 'TCP', destination: { address: '192.168.0.11', port: 0 }, source: { address: '198.51.100.7', node: 'n1' } } }
  ]

  for (const c of cases) {
    it(`trace: ${c.name}`, async () => {
      const packet = structuredClone(c.packet) as any
      if (packet.destination.address === '') {
        packet.destination.address = (await api.get(base(c.cluster) + '/namespaces/default/services/web')).body.spec.clusterIP
      }
      if (packet.destination.port === 0) {
        packet.destination.port = (await api.get(base(c.cluster) + '/namespaces/default/services/lb')).body.spec.ports[0].nodePort
      }
      const { rest, graphql } = await both(c.cluster, packet, c.options)
      assert.deepEqual(graphql, rest)
      const sum = rest.outcomes.reduce((a: number, o: any) => a + o.probability, 0)
      assert.ok(Math.abs(sum - 1) < 1e-9, 'probabilities sum to 1')
    })
  }

  it('trace errors are the REST Status (unknown pod, port 0, missing cluster)', async () => {
    const bad = [
      { c: 'demo', p: { protocol: 'TCP', destination: { address: '10.98.128.179', port: 80 }, source: { pod: 'default/nope' } } },
      { c: 'nope', p: { protocol: 'TCP', destination: { address: '10.98.128.179', port: 80 }, source: { node: 'vortex-dev' } } },
      { c: 'demo', p: { protocol: 'TCP', destination: { address: '10.98.128.179', port: 80 }, source: { node: 'no-such-node' } } }
    ]
    for (const b of bad) {
      const r = await api.post(base(b.c) + '/traces').send(b.p)
      assert.ok(r.status >= 400)
      const g = await gql(api, TRACE_Q, { c: b.c, p: b.p })
      assert.equal(g.errors?.length, 1)
      assert.equal(g.errors![0].message, r.body.message)
      assert.deepEqual(g.errors![0].extensions.status, r.body)
    }
  })

  it('session affinity: sample traces over GraphQL are seen by REST; resetAffinity clears both', async () => {
    const db = (await api.get(base('c') + '/namespaces/other/services/db')).body.spec.clusterIP
    const p = { protocol: 'TCP', destination: { address: db, port: 5432 }, source: { pod: 'default/web-1' } }
    const first = await gqlData(api, 'query($p: TracePacketInput!) { trace(cluster: "c", packet: $p, options: { mode: sample, seed: 3 }) { outcomes { pod } } }', { p })
    assert.equal(first.trace.outcomes[0].pod, 'other/db-1')
    const g = await gqlData(api, '{ traceAffinity(cluster: "c") { kind apiVersion cluster clock { now } entries { node list client lastSeen } removed } }')
    const rest = (await api.get(base('c') + '/traces/affinity')).body
    assert.deepEqual(stripNulls(g.traceAffinity), rest)
    assert.ok(rest.entries.length >= 1, 'the sample trace recorded the client')
    const reset = await gqlData(api, 'mutation { resetAffinity(cluster: "c") { entries { client } removed clock { now } } }')
    assert.equal(reset.resetAffinity.removed, rest.entries.length)
    assert.deepEqual((await api.get(base('c') + '/traces/affinity')).body.entries, [])
  })

  it('netfilterTrace equals POST /api/v1/netfilter/traces (packet sequences and errors too)', async () => {
    const ruleset = '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n'
    const host = { name: 'h', interfaces: [{ name: 'lo', addresses: ['127.0.0.1/8'], loopback: true }, { name: 'eth0', addresses: ['10.0.0.1/24'] }] }
    const packets = [
      { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 40000, dport: 22, inIface: 'eth0' },
      { src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 40000, dport: 23, inIface: 'eth0' }
    ]
    const q = `query($r: String!, $h: JSON!, $ps: [JSON!], $o: JSON) { netfilterTrace(ruleset: $r, host: $h, packets: $ps, options: $o) {
      kind conntrack counters results { packet probability outcome packetAfter choices ct steps branches { probability outcome packetAfter choices ct steps } } } }`
    const body = { ruleset, host, packets, options: { detail: 'full' } }
    const r = await api.post('/api/v1/netfilter/traces').send({ ...body, options: { ...body.options, maxBranches: 256 } })
    assert.equal(r.status, 200)
    const d = await gqlData(api, q, { r: ruleset, h: host, ps: packets, o: body.options })
    assert.deepEqual(stripNulls(d.netfilterTrace), stripNulls(r.body))
    assert.deepEqual(d.netfilterTrace.results.map((x: any) => x.outcome.kind), r.body.results.map((x: any) => x.outcome.kind))
    const bad = await api.post('/api/v1/netfilter/traces').send({ ruleset: '*filter\n-A NOPE -j ACCEPT\nCOMMIT\n', host, packet: packets[0] })
    const g = await gql(api, 'query($h: JSON!, $p: JSON) { netfilterTrace(ruleset: "*filter\\n-A NOPE -j ACCEPT\\nCOMMIT\\n", host: $h, packet: $p) { kind } }', { h: host, p: packets[0] })
    assert.equal(g.errors?.[0].message, bad.body.message)
    assert.deepEqual(g.errors?.[0].extensions.status, bad.body)
  })

  it('iptables views equal GET .../nodes/{node}/iptables (every format and filter)', async () => {
    const strip = (s: string): string => s.replace(/^# (Generated|Completed) .*$/gm, '#')
    const q = `query($n: String!, $f: IptablesFormat, $t: String, $s: String, $ch: String) {
      iptables(cluster: "demo", node: $n, format: $f, table: $t, service: $s, chain: $ch) {
        kind apiVersion cluster generation node format text profile largeClusterMode tables { name chains { name builtin policy rules { text rule provenance { ...Prov } } } } } }`
    for (const [format, filter] of [['save', {}], ['restore', {}], ['sorted', {}], ['save', { table: 'nat' }], ['save', { service: 'default/k8s-nginx-node' }], ['restore', { chain: 'KUBE-NODEPORTS' }], ['json', {}], ['json', { service: 'default/k8s-nginx-node' }]] as const) {
      const query: Record<string, string> = { format, ...filter }
      const r = await api.get(base('demo') + '/nodes/vortex-dev/iptables').query(query)
      assert.equal(r.status, 200)
      const f = filter as { table?: string, service?: string, chain?: string }
      const d = await gqlData(api, withFragments(q), { n: 'vortex-dev', f: format, t: f.table, s: f.service, ch: f.chain })
      const v = d.iptables
      assert.equal(v.format, format)
      if (format === 'json') {
        const { format: _f, text: _t, ...rest } = stripNulls(v) as any
        assert.deepEqual(rest, stripNulls(r.body))
      } else {
        assert.equal(strip(v.text), strip(r.text))
      }
    }
    const node = await gqlData(api, '{ cluster(name: "demo") { node(name: "vortex-dev") { iptables(table: "nat", service: "default/k8s-nginx-node") { text } } } }')
    assert.match(node.cluster.node.iptables.text, /-A KUBE-SVC-RD5DSC6PXE26GCYZ .*--probability 0\.33332999982/)
    const missing = await gql(api, '{ iptables(cluster: "demo", node: "nope") { text } }')
    const rest = await api.get(base('demo') + '/nodes/nope/iptables')
    assert.equal(missing.errors?.[0].message, rest.body.message)
  })
})
