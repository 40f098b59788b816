/**
 * Traces served by the worker pool answer exactly what the in-process path answers (status, media
 * type and bytes), keep session affinity and the simulated clock consistent across workers, and the
 * pool's threads start with the first trace and stop with the app.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { build, tempDatabaseUrl, type Built } from '../helper.ts'
import { cleanups, createLab, IP, NODE1, NODE2 } from './fixture.ts'
import { defaultTraceWorkers, TracePool } from '../../src/cluster/trace/pool/pool.ts'
import { InProcessTraces, traceInputs, type TraceJob } from '../../src/cluster/trace/executor.ts'
import { StatusError } from '../../src/cluster/errors.ts'

const hooks = cleanups()
after(async () => { await hooks.run() })
let pooled: Built
/** the reference: the same traces run on this thread, on the pooled app's own cluster snapshots */
let ref: InProcessTraces
before(async () => {
  pooled = await build(hooks, { seedDemo: true, traceWorkers: 2 })
  ref = new InProcessTraces()
  await createLab(pooled.api)
})

interface Call { cluster: string, body: Record<string, unknown>, query?: string, accept?: string }

async function http (c: Call): Promise<{ status: number, type: string, text: string }> {
  let r = pooled.api.post(`/api/v1/clusters/${c.cluster}/traces${c.query ?? ''}`)
  if (c.accept !== undefined) r = r.set('accept', c.accept)
  const res = await r.send(c.body).buffer(true).parse((resp, cb) => {
    const chunks: Buffer[] = []
    resp.on('data', (d: Buffer) => chunks.push(d))
    resp.on('end', () => { cb(null, Buffer.concat(chunks).toString('utf8')) })
  })
  return { status: res.status, type: String(res.headers['content-type']), text: res.body as string }
}

/** The pooled answer over HTTP and the in-process answer on the same snapshot: the same bytes. */
async function both (c: Call): Promise<{ status: number, type: string, text: string }> {
  const a = await http(c)
  const snap = await pooled.app.store.snapshot(c.cluster)
  if (snap === null) {
    assert.equal(a.status, 404)
    return a
  }
  const { inputs, stateful } = traceInputs(snap)
  const format = c.query === '?format=trace' || c.accept === 'text/plain' ? 'text' : 'json'
  let want: { status: number, text: string }
  try {
    want = { status: 200, text: (await ref.trace({ cluster: c.cluster, uid: snap.cluster.uid, inputs, stateful, body: c.body as never, format })).toString() }
  } catch (e) {
    assert.ok(e instanceof StatusError, String(e))
    want = { status: e.status.code, text: JSON.stringify(e.status) }
  }
  assert.equal(a.status, want.status, `${JSON.stringify(c)}: ${a.text.slice(0, 300)}`)
  assert.equal(a.type, a.status !== 200 ? 'application/json; charset=utf-8' : format === 'text' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', JSON.stringify(c))
  assert.equal(a.text, want.text, `${JSON.stringify(c)}: the pooled answer differs`)
  // the fast serialiser writes what JSON.stringify writes
  if (format === 'json') assert.equal(JSON.stringify(JSON.parse(a.text)), a.text)
  return a
}

const NP = { protocol: 'TCP', destination: { address: '192.168.33.10', port: 30136 }, source: { address: '192.168.33.1' } }

test('pooled traces answer byte for byte what in-process traces answer', async () => {
  const calls: Call[] = [
    { cluster: 'demo', body: NP },
    { cluster: 'demo', body: { ...NP, mode: 'sample', seed: 7 } },
    { cluster: 'demo', body: { ...NP, mode: 'sample', seed: 7 }, query: '?format=trace' },
    { cluster: 'demo', body: NP, accept: 'text/plain' },
    { cluster: 'demo', body: { ...NP, detail: 'full', reply: false } },
    { cluster: 'demo', body: { protocol: 'ICMP', destination: { address: '192.168.33.10' }, source: { address: '203.0.113.2' } } },
    { cluster: 'demo', body: { ...NP, source: { pod: 'default/nope' } } },
    { cluster: 'demo', body: { ...NP, destination: { address: '8.8.8.8', port: 80 } } },
    { cluster: 'nope', body: NP },
    { cluster: 'lab', body: { protocol: 'TCP', destination: { address: IP.web, port: 80 }, source: { pod: 'client-2' } } },
    { cluster: 'lab', body: { protocol: 'TCP', destination: { address: IP.web, port: 80 }, source: { pod: 'web-1' } } },
    { cluster: 'lab', body: { protocol: 'TCP', destination: { address: IP.web, port: 80 }, source: { node: NODE1.name } } },
    { cluster: 'lab', body: { protocol: 'TCP', destination: { address: NODE2.ip, port: 30081 }, source: { address: '203.0.113.9' } }, query: '?format=trace' },
    { cluster: 'lab', body: { protocol: 'TCP', destination: { address: IP.lbVip, port: 80 }, source: { address: '203.0.113.200', node: NODE1.name } } },
    { cluster: 'lab', body: { protocol: 'TCP', destination: { address: IP.empty, port: 80 }, source: { pod: 'client-1' } } },
    { cluster: 'lab', body: { protocol: 'UDP', destination: { address: IP.dnsSvc, port: 53 }, source: { pod: 'client-1' }, mode: 'sample', seed: 3 } },
    { cluster: 'lab', body: { protocol: 'TCP', destination: { address: IP.multiSvc, port: 9090 }, source: { pod: 'client-2' } } }
  ]
  for (const c of calls) await both(c)
})

test('answers from the workers\' response area: more jobs than slots, answers larger than a slot, slots reused', async () => {
  // a small area (4 slots of 16 KiB): sample traces fit a slot, all-mode ones (~45 KiB) do not
  const pool = new TracePool(1, { slots: 4, slotBytes: 16 * 1024 })
  hooks.after(async () => { await pool.close() })
  const snap = (await pooled.app.store.snapshot('demo'))!
  const { inputs, stateful } = traceInputs(snap)
  const job = (body: Record<string, unknown>): TraceJob => ({ cluster: 'demo', uid: snap.cluster.uid, inputs, stateful, body: body as never, format: 'json' })
  const bodies = [...Array.from({ length: 20 }, (_, i) => ({ ...NP, mode: 'sample', seed: i })), NP, { ...NP, detail: 'full' }]
  const want = await Promise.all(bodies.map(async b => (await ref.trace(job(b))).toString()))
  assert.ok(want.some(t => Buffer.byteLength(t) <= 16 * 1024) && want.some(t => Buffer.byteLength(t) > 16 * 1024))
  for (let round = 0; round < 3; round++) {
    const got = await Promise.all(bodies.map(async b => await pool.trace(job(b))))
    for (let i = 0; i < bodies.length; i++) assert.equal(got[i].toString(), want[i], `round ${round}, body ${i}`)
    assert.equal(pool.slotsInUse, 0, 'every slot is free again')
  }
})

test('session affinity and the simulated clock: the same sequence gives the same answers', async () => {
  await pooled.api.delete('/api/v1/clusters/lab/traces/affinity').expect(200)
  const uid = (await pooled.app.store.snapshot('lab'))?.cluster.uid ?? ''
  await ref.resetAffinity('lab', uid)
  const sticky = { protocol: 'TCP', destination: { address: IP.sticky, port: 80 }, source: { pod: 'client-1' } }
  const seq: Array<Record<string, unknown>> = [
    sticky,
    { ...sticky, mode: 'sample', seed: 5 },
    { ...sticky, advanceSeconds: 30 },
    { ...sticky, mode: 'sample', seed: 9, source: { pod: 'client-2' } },
    { ...sticky, advanceSeconds: 61 },
    { ...sticky, advanceSeconds: 5, source: { pod: 'nope' } }, // fails: the clock does not move
    { ...sticky, mode: 'sample', seed: 11 }
  ]
  for (const body of seq) await both({ cluster: 'lab', body })
  const a = await pooled.api.get('/api/v1/clusters/lab/traces/affinity').expect(200)
  const b = await ref.affinity('lab', uid)
  assert.deepEqual({ clock: a.body.clock, entries: a.body.entries }, { clock: { now: b.now }, entries: b.entries })
  assert.ok(a.body.entries.length > 0)
  assert.equal((await pooled.api.delete('/api/v1/clusters/lab/traces/affinity').expect(200)).body.removed, await ref.resetAffinity('lab', uid))
})

test('a cluster without session affinity: traces on any worker read the clock the last advance set', async () => {
  const t = await pooled.api.post('/api/v1/clusters/demo/traces').send({ ...NP, advanceSeconds: 100 }).expect(200)
  assert.equal(t.body.request.clock.now, 100)
  const many = await Promise.all(Array.from({ length: 12 }, (_, i) => pooled.api.post('/api/v1/clusters/demo/traces').send({ ...NP, mode: 'sample', seed: i })))
  for (const r of many) {
    assert.equal(r.status, 200)
    assert.deepEqual(r.body.request.clock, { now: 100, advancedSeconds: 0 })
  }
  const aff = await pooled.api.get('/api/v1/clusters/demo/traces/affinity').expect(200)
  assert.equal(aff.body.clock.now, 100)
  await pooled.api.delete('/api/v1/clusters/demo/traces/affinity').expect(200)
  const reset = await pooled.api.post('/api/v1/clusters/demo/traces').send({ ...NP, mode: 'sample' }).expect(200)
  assert.equal(reset.body.request.clock.now, 0)
})

test('a changed cluster is traced at its new generation; a re-created cluster starts clean', async () => {
  const svc = { metadata: { name: 'extra' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.99', selector: { app: 'web' }, ports: [{ protocol: 'TCP', port: 81, targetPort: 8080 }] } }
  await pooled.api.post('/api/v1/clusters/lab/namespaces/default/services').send(svc).expect(201)
  const r = await both({ cluster: 'lab', body: { protocol: 'TCP', destination: { address: '10.96.0.99', port: 81 }, source: { pod: 'client-1' } } })
  assert.equal(r.status, 200)
  await both({ cluster: 'lab', body: { protocol: 'TCP', destination: { address: IP.sticky, port: 80 }, source: { pod: 'client-1' }, mode: 'sample', seed: 2 } })
  await pooled.api.delete('/api/v1/clusters/lab').expect(200)
  ref.drop('lab')
  await createLab(pooled.api)
  await both({ cluster: 'lab', body: { protocol: 'TCP', destination: { address: '10.96.0.99', port: 81 }, source: { pod: 'client-1' } } })
  await both({ cluster: 'lab', body: { protocol: 'TCP', destination: { address: IP.sticky, port: 80 }, source: { pod: 'client-1' }, mode: 'sample', seed: 2 } })
})

test('the pool starts its threads with the first trace and stops them on close', async () => {
  const snap = await pooled.app.store.snapshot('demo')
  assert.ok(snap !== null)
  const { inputs, stateful } = traceInputs(snap)
  const job: TraceJob = { cluster: 'demo', uid: snap.cluster.uid, inputs, stateful, body: { ...NP, protocol: 'TCP', mode: 'sample' }, format: 'json' }
  const pool = new TracePool(2)
  assert.equal(pool.threads, 0)
  assert.deepEqual(await pool.affinity('demo', snap.cluster.uid), { now: 0, entries: [] }, 'no threads started for a read')
  assert.equal(pool.threads, 0)
  const out = await Promise.all([pool.trace(job), pool.trace(job), pool.trace(job)])
  assert.equal(pool.threads, 2)
  assert.equal(JSON.parse(out[0].toString()).kind, 'Trace')
  await assert.rejects(pool.trace({ ...job, body: { ...job.body, source: { pod: 'default/nope' } } }), (e: Error & { status?: { code: number } }) => e.status?.code === 422)
  await pool.close()
  assert.equal(pool.threads, 0)
  await assert.rejects(pool.trace(job), /closed/)
})

test('a process that traced through the pool exits by itself once the app is closed', { timeout: 180_000 }, async (t) => {
  const { dir, databaseUrl } = tempDatabaseUrl()
  t.after(() => { rmSync(dir, { recursive: true, force: true }) })
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'pool-child.ts'), databaseUrl], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(-1) }, 150_000)
    child.on('exit', (c) => { clearTimeout(timer); resolve(c) })
  })
  assert.equal(code, 0, `the child did not exit by itself: ${out}`)
  assert.match(out, /traced 200,200,200/)
})

test('default number of trace workers: cores − 1 (1 to 4), none on one core; KUBENETSIM_TRACE_WORKERS wins', () => {
  assert.deepEqual([1, 2, 3, 4, 8, 64].map(c => defaultTraceWorkers({}, c)), [0, 1, 2, 3, 4, 4])
  assert.equal(defaultTraceWorkers({ KUBENETSIM_TRACE_WORKERS: '0' }, 8), 0)
  assert.equal(defaultTraceWorkers({ KUBENETSIM_TRACE_WORKERS: '3' }, 2), 3)
  assert.equal(defaultTraceWorkers({ KUBENETSIM_TRACE_WORKERS: '' }, 2), 1)
  for (const bad of ['-1', '1.5', 'two', '65']) assert.throws(() => defaultTraceWorkers({ KUBENETSIM_TRACE_WORKERS: bad }, 2), /KUBENETSIM_TRACE_WORKERS must be an integer from 0 to 64/)
})
