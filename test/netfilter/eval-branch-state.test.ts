// `all` mode on a long-lived (large) engine state: branches get copy-on-write states that behave like
// independent deep copies while the caller's state stays untouched.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEngineState, cloneEngineState, conntrackEntries } from '../../src/netfilter/index.ts'
import type { EngineState } from '../../src/netfilter/index.ts'
import { prep, run, tcpIn } from './eval-helpers.ts'

const RULES = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:SVC - [0:0]\n' +
  '-A PREROUTING -d 10.96.0.1/32 -p tcp -j SVC\n' +
  '-A SVC -m statistic --mode random --probability 0.33333333349 -j DNAT --to-destination 10.244.0.1\n' +
  '-A SVC -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.244.0.2\n' +
  '-A SVC -j DNAT --to-destination 10.244.0.3\nCOMMIT\n' +
  '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m recent --name seen --set\nCOMMIT\n'

function view (st: EngineState): string {
  const recent = [...st.recent].map(([k, t]) => [k, t.lruSeq, [...t.entries].map(([a, e]) => [a, e.nstamps, e.stamps])])
  return JSON.stringify({ ct: conntrackEntries(st.conntrack), n: st.conntrack.nextId, counters: [...st.counters], recent })
}

test('all mode on a large state: copy-on-write branches, caller state untouched, branches independent', () => {
  const p = prep(RULES)
  const st = createEngineState({ seed: 7 })
  for (let k = 0; k < 400; k++) run(p, tcpIn({ dst: '10.96.0.1', sport: 2000 + k }), st)
  assert.ok(st.conntrack.byTuple.size >= 800)
  const before = view(st)
  const baseEntries = conntrackEntries(st.conntrack).length

  // a new flow: three branches, each with its own new entry
  const r = run(p, tcpIn({ dst: '10.96.0.1', sport: 9000 }), st, { mode: 'all' })
  assert.equal(r.branches.length, 3)
  assert.equal(view(st), before, 'caller state untouched')
  const dsts = new Set<string>()
  for (const b of r.branches) {
    const es = conntrackEntries(b.state.conntrack)
    assert.equal(es.length, baseEntries + 1)
    assert.equal(b.state.conntrack.byTuple.size, st.conntrack.byTuple.size + 2)
    const mine = es.find(e => e.orig.sport === 9000)
    assert.ok(mine !== undefined)
    dsts.add(b.packetAfter.dst)
    // the DNAT rule that matched counted once more than in the caller's state
    const seen = b.state.recent.get('seen')
    assert.ok(seen !== undefined && seen.entries.size === 1)
    // the branch updated its own copy of the list (one more --set), not the caller's
    assert.notEqual([...seen.entries.values()][0], [...st.recent.get('seen')!.entries.values()][0])
  }
  assert.deepEqual([...dsts].sort(), ['10.244.0.1', '10.244.0.2', '10.244.0.3'])
  const sumCounters = (s: EngineState): number => [...s.counters.values()].reduce((a, c) => a + c.packets, 0)
  for (const b of r.branches) assert.ok(sumCounters(b.state) > sumCounters(st))

  // an earlier flow again: the branch finds its entry (no draw, same endpoint) and updates only its own copy
  const old = conntrackEntries(st.conntrack).find(e => e.orig.sport === 2005)!
  const again = run(p, tcpIn({ dst: '10.96.0.1', sport: 2005, tcpFlags: ['ACK'] }), st, { mode: 'all' })
  assert.equal(again.branches.length, 1)
  assert.equal(again.ct.entry, old.id, 'the existing entry (NEW until a reply is seen, as in the kernel)')
  assert.equal(again.packetAfter.dst, (old.reply.src >>> 24) + '.' + ((old.reply.src >>> 16) & 255) + '.' + ((old.reply.src >>> 8) & 255) + '.' + (old.reply.src & 255))
  assert.equal(view(st), before, 'caller state untouched by the established packet')

  // sample mode on one branch state changes that branch only; a detached copy equals the branch
  const b0 = r.branches[0].state
  const b1before = view(r.branches[1].state)
  run(p, tcpIn({ dst: '10.96.0.1', sport: 9001 }), b0)
  assert.equal(conntrackEntries(b0.conntrack).length, baseEntries + 2)
  assert.equal(view(r.branches[1].state), b1before)
  assert.equal(view(st), before)
  assert.equal(view(cloneEngineState(b0)), view(b0))
})
