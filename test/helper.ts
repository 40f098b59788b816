/**
 * Test helper: builds the app in-process on a fresh temporary SQLite file (migrated by the app like
 * at start) and returns a supertest agent on its server. Closed and removed after the test.
 */
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import request from 'supertest'
import { buildApp, type App, type BuildAppOptions } from '../src/api/app.ts'
import { Store } from '../src/store/index.ts'
import { readMigrations } from '../src/store/schema-engine.ts'

export interface Built {
  app: App
  api: ReturnType<typeof request>
  dir: string
  databaseUrl: string
}

/** A node:test TestContext, or anything with `after` (suites collect hooks themselves). */
export interface Hooks { after: (fn: () => Promise<void> | void) => unknown }

export function tempDatabaseUrl (): { dir: string, databaseUrl: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kubenetsim-test-'))
  return { dir, databaseUrl: 'file:' + join(dir, 'test.db') }
}

/**
 * A database migrated once by the schema engine and shared (copied) by test files: loading the wasm
 * engine costs seconds per process. Keyed by the migrations' content; test/store/migrations.test.ts
 * still migrates fresh databases.
 */
async function migratedTemplate (): Promise<string> {
  const h = createHash('sha256')
  for (const d of readMigrations().migrationDirectories) h.update(d.path).update(JSON.stringify(d.migrationFile.content))
  const path = join(tmpdir(), `kubenetsim-template-${h.digest('hex').slice(0, 16)}.db`)
  if (!existsSync(path)) {
    const { dir, databaseUrl } = tempDatabaseUrl()
    const store = await Store.open({ databaseUrl })
    await store.close()
    renameSync(databaseUrl.slice('file:'.length), path) // atomic: concurrent test files may race here
    rmSync(dir, { recursive: true, force: true })
  }
  return path
}

/** A store on a new database (a copy of the migrated template), closed and removed after the test. */
export async function openStore (t: Hooks): Promise<Store> {
  const { dir, databaseUrl } = tempDatabaseUrl()
  copyFileSync(await migratedTemplate(), databaseUrl.slice('file:'.length))
  const store = await Store.open({ databaseUrl })
  t.after(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return store
}

/** Builds the app on a new database (a copy of the migrated template unless `fresh`). */
export async function build (t: Hooks, opts: Partial<BuildAppOptions> & { fresh?: boolean } = {}): Promise<Built> {
  const { dir, databaseUrl } = tempDatabaseUrl()
  if (opts.fresh !== true) copyFileSync(await migratedTemplate(), databaseUrl.slice('file:'.length))
  const { fresh: _fresh, ...appOpts } = opts
  // traces on the test's own thread unless a test asks for workers (test/trace/pool.test.ts proves the
  // pool answers byte for byte the same); a worker per app would boot per test file
  const app = await buildApp({ databaseUrl, docs: false, traceWorkers: 0, ...appOpts })
  await app.ready()
  t.after(async () => {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { app, api: request(app.server), dir, databaseUrl }
}

/** POST /api/v1/clusters and assert 201. */
export async function newCluster (api: Built['api'], name: string, spec: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const r = await api.post('/api/v1/clusters').send({ metadata: { name }, spec })
  if (r.status !== 201) throw new Error(`cluster create failed: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

export function svc (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, ...extra }, spec }
}

export function nodePortSvc (name: string, nodePort?: number, port = 80): Record<string, unknown> {
  return svc(name, { type: 'NodePort', selector: { app: name }, ports: [{ port, targetPort: port, protocol: 'TCP', ...(nodePort === undefined ? {} : { nodePort }) }] })
}

export function node (name: string, ip: string, podCIDR?: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR === undefined ? {} : { podCIDR }, status: { addresses: [{ type: 'InternalIP', address: ip }] } }
}

export function pod (name: string, nodeName: string, labels: Record<string, string>, extra: { podIP?: string, ready?: boolean, hostNetwork?: boolean, ports?: Array<Record<string, unknown>> } = {}): Record<string, unknown> {
  const status: Record<string, unknown> = { phase: 'Running', conditions: [{ type: 'Ready', status: extra.ready === false ? 'False' : 'True' }] }
  if (extra.podIP !== undefined) status.podIP = extra.podIP
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { nodeName, ...(extra.hostNetwork === true ? { hostNetwork: true } : {}), containers: [{ name: 'c', image: 'nginx', ports: extra.ports ?? [{ containerPort: 80, protocol: 'TCP' }] }] },
    status
  }
}

export const base = (cluster: string): string => `/api/v1/clusters/${cluster}`

/**
 * For a `describe` block whose tests share one app: builds it with cluster `name` before the first
 * test and closes it after the last. Returns a getter for the built app.
 */
export function sharedClusterApp (name: string): () => Built {
  let built: Built | undefined
  const hooks: Array<() => Promise<void> | void> = []
  before(async () => {
    built = await build({ after: (fn) => { hooks.push(fn) } })
    await newCluster(built.api, name)
  })
  after(async () => { for (const h of hooks) await h() })
  return () => {
    if (built === undefined) throw new Error('the shared app is built in a before() hook')
    return built
  }
}
