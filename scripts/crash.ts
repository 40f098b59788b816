// Crash-safety run: SIGKILL the server during a big manifest apply, restart, check invariants.
// Usage: npx tsx scripts/crash.ts [services=2000] [rounds=5] [port=18431]
// Kill delays spread over the apply time measured in a first, uninterrupted run.
import { crashRound, manifest, migratedCopy, startServer, waitExit } from './crash-lib.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const count = Number(process.argv[2] ?? 2000)
const rounds = Number(process.argv[3] ?? 5)
const port = Number(process.argv[4] ?? 18431)

// how long one apply takes, uninterrupted
const dir = mkdtempSync(join(tmpdir(), 'kubenetsim-crash-'))
await migratedCopy(join(dir, 'm.db'))
const s = await startServer('file:' + join(dir, 'm.db'), port)
await fetch(s.base + '/api/v1/clusters', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'c' } }) })
const t0 = Date.now()
const r = await fetch(s.base + '/api/v1/clusters/c/manifests', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: manifest(count) })
const applyMs = Date.now() - t0
s.child.kill('SIGTERM')
await waitExit(s.child)
rmSync(dir, { recursive: true, force: true })
console.log(`apply of ${count} services: HTTP ${r.status} in ${applyMs} ms`)

let bad = 0
for (let i = 0; i < rounds; i++) {
  const killAfterMs = Math.round(applyMs * (i + 1) / (rounds + 1))
  const res = await crashRound(count, killAfterMs, port)
  if (res.invariants.violations.length > 0 || res.outcome === 'partial') bad++
  console.log(`round ${i + 1}: SIGKILL after ${killAfterMs} ms -> ${res.outcome} (${res.invariants.manifestServices}/${count} services, ${res.invariants.nodePorts} NodePorts, ${res.invariants.clusterIPs} ClusterIPs), WAL ${res.walBefore} -> ${res.walAtKill} bytes at the kill, re-apply HTTP ${res.applyAfterRestart}, violations: ${res.invariants.violations.length === 0 ? 'none' : res.invariants.violations.slice(0, 5).join('; ')}`)
}
// and rounds that kill the moment the write transaction starts writing to the WAL
for (let i = 0; i < rounds; i++) {
  const res = await crashRound(count, applyMs * 3, port, { onWalGrowth: true })
  if (res.invariants.violations.length > 0 || res.outcome === 'partial') bad++
  console.log(`WAL round ${i + 1}: SIGKILL as the WAL grew -> ${res.outcome} (${res.invariants.manifestServices}/${count} services, ${res.invariants.nodePorts} NodePorts, ${res.invariants.clusterIPs} ClusterIPs), WAL ${res.walBefore} -> ${res.walAtKill} bytes at the kill, re-apply HTTP ${res.applyAfterRestart}, violations: ${res.invariants.violations.length === 0 ? 'none' : res.invariants.violations.slice(0, 5).join('; ')}`)
}
console.log(bad === 0 ? 'crash safety: OK' : `crash safety: ${bad} bad rounds`)
process.exit(bad === 0 ? 0 : 1)
