/**
 * The only listener. Opens (and migrates) the database, creates the demo cluster on an empty
 * database, listens, and closes cleanly on SIGTERM/SIGINT (in-flight requests finish first).
 * Env: PORT (8080), HOST (127.0.0.1), DATABASE_URL (file:./data/kubenetsim.db),
 * KUBENETSIM_BODY_LIMIT (bytes, 3145728), KUBENETSIM_MAX_MANIFEST_OBJECTS (10000),
 * KUBENETSIM_SEED_DEMO (1; 0 disables), LOG_LEVEL (info).
 */
import { buildApp } from './api/app.ts'

function intEnv (name: string, fallback: number): number {
  const v = process.env[name]
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`)
  return n
}

const port = intEnv('PORT', 8080)
const host = process.env.HOST ?? '127.0.0.1'
const app = await buildApp({
  databaseUrl: process.env.DATABASE_URL,
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
  limits: {
    bodyLimit: intEnv('KUBENETSIM_BODY_LIMIT', 3 * 1024 * 1024),
    maxManifestObjects: intEnv('KUBENETSIM_MAX_MANIFEST_OBJECTS', 10_000)
  },
  seedDemo: process.env.KUBENETSIM_SEED_DEMO !== '0'
})

let closing = false
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    if (closing) return
    closing = true
    app.log.info(`${sig}: closing`)
    app.close().then(() => process.exit(0), (err: unknown) => { app.log.error({ err }, 'close failed'); process.exit(1) })
  })
}

await app.listen({ port, host })
app.log.info(`database ${app.store.databaseUrl}; API docs at http://${host}:${port}/docs`)
