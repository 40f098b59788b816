/**
 * Crash-safety harness (used by scripts/crash.ts and test/reliability/crash.test.ts): starts the real
 * server (src/server.ts) as a child process on 127.0.0.1, applies an N-service manifest, SIGKILLs the
 * server while the apply runs, restarts it on the same database and checks the invariants directly
 * in SQLite: allocations belong to existing services, every NodePort/LoadBalancer service holds its
 * NodePorts and every service its ClusterIP, no duplicate ports or IPs, the manifest applied fully or
 * not at all, and the database passes `PRAGMA integrity_check` in WAL mode.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { Store } from '../src/store/index.ts'

const ROOT = join(import.meta.dirname, '..')

let template: string | undefined

/** A migrated empty database to copy (migrating costs the wasm engine's start, once per process). */
export async function migratedCopy (path: string): Promise<void> {
  if (template === undefined || !existsSync(template)) {
    const t = join(mkdtempSync(join(tmpdir(), 'kubenetsim-crash-template-')), 'template.db')
    const store = await Store.open({ databaseUrl: 'file:' + t })
    await store.close()
    template = t
  }
  copyFileSync(template, path)
}

export interface Server { child: ChildProcess, base: string, output: () => string }

/** Starts src/server.ts (the node process itself, so a signal reaches the server, not a wrapper). */
export async function startServer (databaseUrl: string, port: number, env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', KUBENETSIM_SEED_DEMO: '0', LOG_LEVEL: 'warn', KUBENETSIM_ADMIN_TOKEN: '', KUBENETSIM_RATE_LIMIT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 240_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${out}`)
    try {
      if ((await fetch(base + '/healthz')).ok) return { child, base, output: () => out }
    } catch { /* not yet */ }
    await sleep(100)
  }
  child.kill('SIGKILL')
  throw new Error('server did not start within 240 s: ' + out)
}

export async function waitExit (child: ChildProcess): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode }
  return await new Promise(resolve => child.once('exit', (code, signal) => { resolve({ code, signal }) }))
}

export function manifest (count: number, prefix = 'svc'): string {
  const docs: string[] = []
  for (let i = 0; i < count; i++) {
    const type = i % 3 === 0 ? 'NodePort' : i % 3 === 1 ? 'LoadBalancer' : 'ClusterIP'
    docs.push(`apiVersion: v1\nkind: Service\nmetadata:\n  name: ${prefix}-${i}\nspec:\n  type: ${type}\n  selector:\n    app: a${i}\n  ports:\n  - port: 80\n    targetPort: 8080\n`)
  }
  return docs.join('---\n')
}

export interface Invariants {
  services: number
  manifestServices: number
  nodePorts: number
  clusterIPs: number
  violations: string[]
}

/** Reads the database file directly and lists every invariant violation. */
export function checkInvariants (dbPath: string, prefix = 'svc', expected?: number): Invariants {
  const db = new Database(dbPath, { fileMustExist: true })
  try {
    const v: string[] = []
    const mode = (db.pragma('journal_mode', { simple: true }) as string)
    if (mode !== 'wal') v.push(`journal_mode is ${mode}, not wal`)
    const ic = db.pragma('integrity_check', { simple: true }) as string
    if (ic !== 'ok') v.push(`integrity_check: ${ic}`)
    const orphanPorts = db.prepare('SELECT count(*) AS n FROM NodePortAllocation a LEFT JOIN Service s ON s.id = a.serviceId WHERE s.id IS NULL OR s.clusterId <> a.clusterId').get() as { n: number }
    if (orphanPorts.n > 0) v.push(`${orphanPorts.n} NodePort allocations without their service`)
    const orphanIPs = db.prepare('SELECT count(*) AS n FROM ClusterIPAllocation a LEFT JOIN Service s ON s.id = a.serviceId WHERE s.id IS NULL OR s.clusterId <> a.clusterId').get() as { n: number }
    if (orphanIPs.n > 0) v.push(`${orphanIPs.n} ClusterIP allocations without their service`)
    const dupPorts = db.prepare('SELECT count(*) AS n FROM (SELECT clusterId, port FROM NodePortAllocation GROUP BY clusterId, port HAVING count(*) > 1)').get() as { n: number }
    if (dupPorts.n > 0) v.push(`${dupPorts.n} duplicate NodePorts`)
    const dupIPs = db.prepare('SELECT count(*) AS n FROM (SELECT clusterId, ip FROM ClusterIPAllocation GROUP BY clusterId, ip HAVING count(*) > 1)').get() as { n: number }
    if (dupIPs.n > 0) v.push(`${dupIPs.n} duplicate ClusterIPs`)
    const ports = db.prepare('SELECT serviceId, port FROM NodePortAllocation').all() as Array<{ serviceId: number, port: number }>
    const portsOf = new Map<number, Set<number>>()
    for (const p of ports) { if (!portsOf.has(p.serviceId)) portsOf.set(p.serviceId, new Set()); portsOf.get(p.serviceId)?.add(p.port) }
    const ips = db.prepare('SELECT serviceId, ip FROM ClusterIPAllocation').all() as Array<{ serviceId: number, ip: string }>
    const ipsOf = new Map<number, Set<string>>()
    for (const p of ips) { if (!ipsOf.has(p.serviceId)) ipsOf.set(p.serviceId, new Set()); ipsOf.get(p.serviceId)?.add(p.ip) }
    const services = db.prepare('SELECT id, name, type, clusterIP, object FROM Service').all() as Array<{ id: number, name: string, type: string, clusterIP: string | null, object: string }>
    let manifestServices = 0
    for (const s of services) {
      if (s.name.startsWith(prefix + '-')) manifestServices++
      const obj = JSON.parse(s.object) as { spec?: { type?: string, clusterIP?: string, ports?: Array<{ nodePort?: number }>, healthCheckNodePort?: number } }
      const type = obj.spec?.type ?? 'ClusterIP'
      if (type === 'NodePort' || type === 'LoadBalancer') {
        for (const p of obj.spec?.ports ?? []) {
          if (typeof p.nodePort !== 'number') v.push(`${s.name}: a ${type} port without nodePort`)
          else if (portsOf.get(s.id)?.has(p.nodePort) !== true) v.push(`${s.name}: nodePort ${p.nodePort} not allocated to it`)
        }
      }
      const ip = obj.spec?.clusterIP
      if (ip !== undefined && ip !== 'None' && ip !== '' && ipsOf.get(s.id)?.has(ip) !== true) v.push(`${s.name}: clusterIP ${ip} not allocated to it`)
    }
    if (expected !== undefined && manifestServices !== 0 && manifestServices !== expected) v.push(`manifest partly applied: ${manifestServices} of ${expected} services`)
    return { services: services.length, manifestServices, nodePorts: ports.length, clusterIPs: ips.length, violations: v }
  } finally {
    db.close()
  }
}

export interface CrashRound {
  /** WAL bytes before the apply and at the kill: growth without a commit means the kill hit an open transaction */
  walBefore: number
  walAtKill: number
  killAfterMs: number
  outcome: 'none' | 'all' | 'partial'
  invariants: Invariants
  applyAfterRestart: number
}

/**
 * One round: fresh database, cluster `c`, apply `count` services, SIGKILL after `killAfterMs`,
 * restart, check, then apply the same manifest again on the restarted server (it must succeed or
 * report the conflict cleanly) and check again.
 */
export async function crashRound (count: number, killAfterMs: number, port: number, opts: { onWalGrowth?: boolean } = {}): Promise<CrashRound> {
  const dir = mkdtempSync(join(tmpdir(), 'kubenetsim-crash-'))
  const dbPath = join(dir, 'crash.db')
  const url = 'file:' + dbPath
  try {
    await migratedCopy(dbPath)
    let s = await startServer(url, port)
    const mk = await fetch(s.base + '/api/v1/clusters', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'c' } }) })
    if (mk.status !== 201) throw new Error(`create cluster: ${mk.status}`)
    const body = manifest(count)
    const walSize = (): number => existsSync(dbPath + '-wal') ? statSync(dbPath + '-wal').size : 0
    const walBefore = walSize()
    const apply = fetch(s.base + '/api/v1/clusters/c/manifests', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body }).then(r => r.status, () => -1)
    if (opts.onWalGrowth === true) {
      // the manifest's rows are written at the end of the apply, in one short burst: poll the WAL and
      // kill the moment the write transaction starts touching it (killAfterMs is the fallback deadline)
      const deadline = Date.now() + killAfterMs
      while (walSize() === walBefore && Date.now() < deadline) await new Promise(resolve => setImmediate(resolve))
    } else {
      await sleep(killAfterMs)
    }
    s.child.kill('SIGKILL')
    await waitExit(s.child)
    const walAtKill = walSize()
    await apply
    s = await startServer(url, port)
    const inv = checkInvariants(dbPath, 'svc', count)
    const outcome = inv.manifestServices === 0 ? 'none' : inv.manifestServices === count ? 'all' : 'partial'
    const again = await fetch(s.base + '/api/v1/clusters/c/manifests', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body })
    s.child.kill('SIGTERM')
    await waitExit(s.child)
    const after = checkInvariants(dbPath, 'svc', count)
    if (after.manifestServices !== count) after.violations.push(`re-apply after restart answered ${again.status} and left ${after.manifestServices} of ${count} services`)
    return { walBefore, walAtKill, killAfterMs, outcome, invariants: { ...inv, violations: [...inv.violations, ...after.violations] }, applyAfterRestart: again.status }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
