/**
 * The only listener. Opens (and migrates) the database, creates the demo cluster on an empty
 * database, listens, and closes cleanly on SIGTERM/SIGINT (in-flight requests finish first).
 * Env: PORT (8080), HOST (127.0.0.1), DATABASE_URL (file:./data/kubenetsim.db),
 * KUBENETSIM_BODY_LIMIT (bytes, 3145728), KUBENETSIM_MAX_MANIFEST_OBJECTS (10000),
 * KUBENETSIM_SEED_DEMO (1; 0 disables), LOG_LEVEL (info), KUBENETSIM_ADMIN_TOKEN (unset: no access
 * control, and then the server listens on 127.0.0.1 only whatever HOST says), and the request limits
 * of src/api/limits.ts (KUBENETSIM_RATE_LIMIT, KUBENETSIM_REQUEST_TIMEOUT_MS, ...).
 * KUBENETSIM_TRACE_WORKERS (cores − 1, 1 to 4; 0 on a single core): threads running cluster traces.
 * KUBENETSIM_SHUTDOWN_TIMEOUT_MS (30000; 0: none): after SIGTERM/SIGINT, the longest wait for in-flight
 * requests; past it, or on a second signal, the process exits with 1 without waiting (SQLite in WAL
 * mode loses no committed transaction, and an unfinished one is rolled back at the next start).
 */
import { buildApp } from './api/app.ts'
import { requestLimitsFromEnv, DEFAULT_REQUEST_LIMITS } from './api/limits.ts'

function intEnv (name: string, fallback: number): number {
  const v = process.env[name]
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`)
  return n
}

const port = intEnv('PORT', 8080)
const adminToken = process.env.KUBENETSIM_ADMIN_TOKEN ?? ''
const wantedHost = process.env.HOST ?? '127.0.0.1'
// without access control, only this machine may connect
const host = adminToken === '' ? '127.0.0.1' : wantedHost
const app = await buildApp({
  databaseUrl: process.env.DATABASE_URL,
  adminToken,
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
  limits: {
    ...requestLimitsFromEnv(process.env, { ...DEFAULT_REQUEST_LIMITS, rateLimitMax: 6000 }),
    bodyLimit: intEnv('KUBENETSIM_BODY_LIMIT', 3 * 1024 * 1024),
    maxManifestObjects: intEnv('KUBENETSIM_MAX_MANIFEST_OBJECTS', 10_000)
  },
  seedDemo: process.env.KUBENETSIM_SEED_DEMO !== '0'
})

const shutdownMs = (() => {
  const v = process.env.KUBENETSIM_SHUTDOWN_TIMEOUT_MS
  if (v === undefined || v === '') return 30_000
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new Error(`KUBENETSIM_SHUTDOWN_TIMEOUT_MS must be a non-negative integer, got ${JSON.stringify(v)}`)
  return n
})()

let closing = false
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (closing) {
      app.log.warn(`${sig} again: exiting without waiting for in-flight requests`)
      process.exit(1)
    }
    closing = true
    app.log.info(`${sig}: closing (in-flight requests finish first${shutdownMs > 0 ? `, for at most ${shutdownMs} ms` : ''})`)
    if (shutdownMs > 0) {
      // a request that never ends (a stuck client, a runaway computation) must not keep the process up
      setTimeout(() => {
        app.log.error(`still closing after ${shutdownMs} ms: exiting without waiting for in-flight requests`)
        process.exit(1)
      }, shutdownMs).unref()
    }
    app.close().then(() => process.exit(0), (err: unknown) => { app.log.error({ err }, 'close failed'); process.exit(1) })
  })
}

await app.listen({ port, host })
if (adminToken === '') {
  app.log.warn(`no KUBENETSIM_ADMIN_TOKEN: access control is off, so the server listens on 127.0.0.1 only${wantedHost !== '127.0.0.1' ? ` (HOST=${wantedHost} ignored)` : ''}`)
} else {
  app.log.info(`access control on: cluster management needs the admin token; listening on ${host}`)
}
app.log.info(`database ${app.store.databaseUrl}; API docs at http://${host}:${port}/docs`)
