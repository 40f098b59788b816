// Golden reproduction of the real-kernel TRACE captures (legacy dmesg lines and xtables-monitor).
// Each captured packet (grouped by IP ID + length) is rebuilt from its first traced line and sent
// through the engine with one conntrack state kept per scenario; the engine's rendered lines must
// equal the captured ones on table:chain:kind:n, IN/OUT, addresses, ports, TTL, length, id, TCP
// flags and MARK. MACs, SEQ/ACK/WINDOW, TCP options and UID/GID are not compared. The random
// MASQUERADE --random-fully port is the only value mapped (kernel port → engine port).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  parseRuleset, prepareRuleset, createEngineState, evaluatePacket, createHost,
  renderLegacyTraceLines, renderXtablesMonitorTraceLines
} from '../../src/netfilter/index.ts'
import type { HostSpec, Packet } from '../../src/netfilter/index.ts'
import {
  readCapture, parseLegacyLine, normLegacy, groupByPacket, parseMonitorLine, normMonitor, flagsToNum
} from './golden-helpers.ts'
import type { LogLine, MonitorLine } from './golden-helpers.ts'

/** netns `r` of setup.sh */
function hostR (defaultRoute: boolean): HostSpec {
  return {
    name: 'r',
    interfaces: [
      { name: 'lo', addresses: ['127.0.0.1/8'], loopback: true, routeLocalnet: true },
      { name: 'eth0', addresses: ['192.168.50.1/24'], routeLocalnet: true },
      { name: 'cni0', addresses: ['10.244.1.1/24'], routeLocalnet: true }
    ],
    routes: defaultRoute ? [{ dst: 'default', via: '192.168.50.2' }] : [],
    ipForward: true,
    routeLocalnet: true
  }
}

// t8: "a mangle PREROUTING MARK rule was added so the mangle table exists". The capture shows
// mangle:PREROUTING:rule:1 only for packets towards :9000, followed by MARK=0x1; we infer this rule.
const T8_MANGLE = '*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 9000 -j MARK --set-mark 0x1\nCOMMIT\n'

function packetFrom (f: Record<string, string>, flags: string[], local: boolean, portMap: Map<string, string>): Packet {
  const port = (p: string): number => Number(portMap.get(p) ?? p)
  const sp = f.SPT ?? f.SPORT
  const dp = f.DPT ?? f.DPORT
  const p: Packet = {
    src: f.SRC, dst: f.DST, proto: 'tcp', sport: port(sp), dport: port(dp), tcpFlags: flagsToNum(flags),
    length: Number(f.LEN), id: Number(f.ID), ttl: Number(f.TTL), df: true
  }
  if (!local) p.inIface = f.IN
  else p.uid = 0
  return p
}

/** learn kernel MASQUERADE port → engine port from the first packet that got masqueraded */
function learnPort (before: Packet, after: { src: string, sport?: number, dst: string, dport?: number }, captured: Array<{ fields: Record<string, string> }>, portMap: Map<string, string>): void {
  if (after.src === before.src || after.sport === undefined) return
  for (const l of captured) {
    const dport = l.fields.DPT ?? l.fields.DPORT
    const sport = l.fields.SPT ?? l.fields.SPORT
    // the first reply from the (DNATed) server to the masquerade address carries the kernel's port
    if (l.fields.DST === after.src && l.fields.SRC === after.dst && sport === String(after.dport) && dport !== undefined) {
      if (!portMap.has(dport)) portMap.set(dport, String(after.sport))
      return
    }
  }
}

function replayLegacy (rulesText: string, host: HostSpec, capture: string, maxPackets = Infinity): number {
  const prepared = prepareRuleset(parseRuleset(rulesText))
  const h = createHost(host)
  const state = createEngineState({ seed: 42 })
  const lines = readCapture(capture).split('\n').filter(l => l.startsWith('TRACE: ')).map(parseLegacyLine)
  const groups = groupByPacket(lines)
  const portMap = new Map<string, string>()
  let n = 0
  for (const g of groups.slice(0, maxPackets)) {
    const first = g[0]
    const local = first.tag.startsWith('raw:OUTPUT')
    const pkt = packetFrom(first.fields, first.flags, local, portMap)
    const r = evaluatePacket(prepared, h, pkt, state)
    learnPort(pkt, r.packetAfter, lines, portMap)
    const ours = renderLegacyTraceLines(r.steps).map(parseLegacyLine)
    assert.deepEqual(ours.map(l => normLegacy(l, new Map())), g.map((l: LogLine) => normLegacy(l, portMap)), `${capture}: packet #${n + 1} (${first.raw.slice(0, 120)}…)`)
    n++
  }
  return n
}

const rules = (): string => readCapture('rules.txt')

test('legacy t1: client → ClusterIP, forwarded with DNAT + MASQUERADE, whole TCP exchange', () => {
  assert.ok(replayLegacy(rules(), hostR(false), 'legacy-t1.log') >= 10)
})

test('legacy t2: client → NodePort on the node address', () => {
  assert.ok(replayLegacy(rules(), hostR(false), 'legacy-t2.log') >= 10)
})

test('legacy t3: node process → ClusterIP (OUTPUT, re-route after DNAT, OUT quirk)', () => {
  assert.ok(replayLegacy(rules(), hostR(true), 'legacy-t3.log') >= 10)
})

test('legacy t4: node process → 127.0.0.1 NodePort (route_localnet)', () => {
  assert.ok(replayLegacy(rules(), hostR(false), 'legacy-t4.log') >= 10)
})

test('legacy t5: hairpin pod → own service', () => {
  assert.ok(replayLegacy(rules(), hostR(false), 'legacy-t5.log') >= 10)
})

test('legacy t6: client → node:9000 (INPUT, nat INPUT after filter INPUT)', () => {
  assert.ok(replayLegacy(rules(), hostR(false), 'legacy-t6.log') >= 10)
})

test('legacy t7: goto / conditional RETURN / unconditional RETURN and ACCEPT quirks', () => {
  assert.ok(replayLegacy(readCapture('rules2.txt'), hostR(true), 'legacy-t7_goto_return.log') >= 5)
})

test('legacy t8: local → own address, loopback re-injection (mangle table present)', () => {
  assert.ok(replayLegacy(rules() + T8_MANGLE, hostR(true), 'legacy-t8_local_to_local.log') >= 10)
})

function replayMonitor (rulesText: string, host: HostSpec, capture: string): number {
  const prepared = prepareRuleset(parseRuleset(rulesText))
  const h = createHost(host)
  const state = createEngineState({ seed: 42 })
  const all = readCapture(capture).split('\n').filter(l => l.startsWith('PACKET: ') || l.startsWith(' TRACE: ')).map(parseMonitorLine)
  // a packet's events start with a PACKET line followed by its raw table event
  const groups = new Map<string, MonitorLine[]>()
  let key = ''
  let seq = 0
  all.forEach((l, i) => {
    if (l.kind === 'PACKET' && all[i + 1]?.event.startsWith('raw:') === true) key = `${++seq}`
    let g = groups.get(key)
    if (g === undefined) { g = []; groups.set(key, g) }
    g.push(l)
  })
  const packets = all.filter(l => l.kind === 'PACKET')
  const portMap = new Map<string, string>()
  let n = 0
  for (const g of groups.values()) {
    const first = g[0]
    const local = first.fields.IN === undefined
    const pkt = packetFrom(first.fields, first.flags, local, portMap)
    const r = evaluatePacket(prepared, h, pkt, state, { backend: 'nft' })
    learnPort(pkt, r.packetAfter, packets, portMap)
    const ours = renderXtablesMonitorTraceLines(r.steps).map(parseMonitorLine)
    assert.deepEqual(ours.map(l => normMonitor(l, new Map())), g.map(l => normMonitor(l, portMap)), `${capture}: packet #${n + 1}`)
    n++
  }
  return n
}

test('xtables-monitor t1 and t6 (iptables-nft handles, TRACE rule reported, no implicit-return events)', () => {
  assert.ok(replayMonitor(rules(), hostR(false), 'xtables-monitor-trace-t1-and-t6.log') >= 20)
})

test('xtables-monitor goto/return (rules2.txt)', () => {
  assert.ok(replayMonitor(readCapture('rules2.txt'), hostR(true), 'xtables-monitor-trace-goto-return.log') >= 5)
})
