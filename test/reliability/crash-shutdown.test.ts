/**
 * The real server as a child process (scripts/crash-lib.ts): SIGKILL during a manifest apply keeps
 * every invariant and applies all or nothing; SIGTERM lets an in-flight apply finish and closes the
 * database cleanly (WAL checkpointed and removed). The service count is CRASH_SERVICES (default 300
 * here to stay bounded on a loaded machine; scripts/crash.ts runs 2,000).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { checkInvariants, crashRound, manifest, migratedCopy, startServer, waitExit } from '../../scripts/crash-lib.ts'

const COUNT = Number(process.env.CRASH_SERVICES ?? 300)
const PORT = 18000 + (process.pid % 1000)

test(`SIGKILL during a ${COUNT}-service apply: invariants hold, all or nothing, usable after restart`, { timeout: 600_000 }, async () => {
  for (const killAfterMs of [150, 600]) {
    const r = await crashRound(COUNT, killAfterMs, PORT)
    assert.deepEqual(r.invariants.violations, [], `kill after ${killAfterMs} ms`)
    assert.notEqual(r.outcome, 'partial')
    assert.ok(r.applyAfterRestart < 500, `re-apply answered ${r.applyAfterRestart}`)
    process.stderr.write(`# crash round: kill after ${killAfterMs} ms -> ${r.outcome}; WAL ${r.walBefore} -> ${r.walAtKill} bytes\n`)
  }
  // the rows are written in one short burst at the end of the apply: kill inside that transaction
  const w = await crashRound(COUNT, 60_000, PORT, { onWalGrowth: true })
  assert.ok(w.walAtKill > w.walBefore, 'the kill landed while the write transaction was writing to the WAL')
  assert.deepEqual(w.invariants.violations, [], 'kill inside the write transaction')
  assert.notEqual(w.outcome, 'partial')
  assert.ok(w.applyAfterRestart < 500, `re-apply answered ${w.applyAfterRestart}`)
  process.stderr.write(`# crash round: kill as the WAL grew -> ${w.outcome}; WAL ${w.walBefore} -> ${w.walAtKill} bytes\n`)
})

test('no admin token: listens on 127.0.0.1 only; SIGTERM: the in-flight apply finishes, the process exits 0, the database closes cleanly', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubenetsim-term-'))
  const dbPath = join(dir, 'term.db')
  try {
    await migratedCopy(dbPath)
    // no admin token: HOST is overridden to 127.0.0.1 and the server says so
    const s = await startServer('file:' + dbPath, PORT + 1, { HOST: '0.0.0.0' })
    for (let i = 0; i < 50 && !s.output().includes('127.0.0.1 only'); i++) await sleep(100)
    assert.match(s.output(), /access control is off, so the server listens on 127\.0\.0\.1 only \(HOST=0\.0\.0\.0 ignored\)/)
    assert.equal((await fetch(s.base + '/api/v1/clusters', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'c' } }) })).status, 201)
    const apply = fetch(s.base + '/api/v1/clusters/c/manifests', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: manifest(COUNT) })
    await sleep(100) // the request is in flight
    s.child.kill('SIGTERM')
    const res = await apply
    assert.ok(res.status === 200 || res.status === 201, `in-flight apply answered ${res.status}`)
    const exit = await waitExit(s.child)
    assert.deepEqual(exit, { code: 0, signal: null }, s.output())
    // checked before anything else opens the file: a clean close checkpoints and removes the WAL
    const wal = dbPath + '-wal'
    assert.ok(!existsSync(wal) || statSync(wal).size === 0, `the WAL was checkpointed on close (${existsSync(wal) ? statSync(wal).size : 0} bytes left)`)
    const inv = checkInvariants(dbPath, 'svc', COUNT)
    assert.deepEqual(inv.violations, [])
    assert.equal(inv.manifestServices, COUNT)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
