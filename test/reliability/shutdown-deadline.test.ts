/**
 * Graceful shutdown has a deadline (src/server.ts KUBENETSIM_SHUTDOWN_TIMEOUT_MS): a request that
 * never completes (here a client that sent its headers and stopped sending its body) does not keep
 * the process up after SIGTERM; it exits with 1 after the deadline, and the database opens cleanly
 * afterwards with every committed change.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { migratedCopy, startServer, waitExit } from '../../scripts/crash-lib.ts'
import { Store } from '../../src/store/index.ts'

const PORT = 19000 + (process.pid % 1000)

test('SIGTERM with a request that never completes: exits 1 after KUBENETSIM_SHUTDOWN_TIMEOUT_MS, data intact', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubenetsim-deadline-'))
  const dbPath = join(dir, 'd.db')
  try {
    await migratedCopy(dbPath)
    const s = await startServer('file:' + dbPath, PORT, { KUBENETSIM_SHUTDOWN_TIMEOUT_MS: '800', KUBENETSIM_CLIENT_TIMEOUT_MS: '120000', LOG_LEVEL: 'info' })
    assert.equal((await fetch(s.base + '/api/v1/clusters', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'kept' } }) })).status, 201)
    // headers and half a body, then nothing: the request stays in flight
    const sock = connect(PORT, '127.0.0.1')
    sock.on('error', () => {})
    await new Promise<void>(resolve => sock.once('connect', resolve))
    sock.write('POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"metadata":')
    await sleep(300)
    const t0 = Date.now()
    s.child.kill('SIGTERM')
    const exit = await waitExit(s.child)
    const took = Date.now() - t0
    sock.destroy()
    assert.deepEqual(exit, { code: 1, signal: null }, s.output())
    assert.match(s.output(), /still closing after 800 ms/)
    assert.ok(took >= 700 && took < 20_000, `exited after ${took} ms`)
    const store = await Store.open({ databaseUrl: 'file:' + dbPath })
    try {
      assert.ok(await store.snapshot('kept') != null, 'the committed cluster survived')
    } finally {
      await store.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
