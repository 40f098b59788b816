/**
 * Prisma's schema engine (migrations) as WebAssembly: works offline, unlike the CLI's native binary.
 * Used to apply `prisma/migrations` at start (like `prisma migrate deploy`), to generate new migrations
 * (scripts/prisma-migrate.ts) and by the drift test (migrations → schema.prisma must diff empty).
 */
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createHash } from 'node:crypto'
import Database from 'better-sqlite3'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils'
import type { MigrationList, SchemaEngine as WasmSchemaEngine } from '@prisma/schema-engine-wasm'

const require = createRequire(import.meta.url)
const here = dirname(fileURLToPath(import.meta.url))
export const PRISMA_DIR = resolve(here, '../../prisma')
export const SCHEMA_PATH = join(PRISMA_DIR, 'schema.prisma')
export const MIGRATIONS_DIR = join(PRISMA_DIR, 'migrations')

/** The part of the WebAssembly global used here (not in this project's TS lib set). */
interface WasmApi { instantiate: (bytes: Uint8Array, imports: Record<string, unknown>) => Promise<{ instance: { exports: unknown } }> }

type EngineModule = typeof import('@prisma/schema-engine-wasm/schema_engine_bg')
let enginePromise: Promise<EngineModule> | undefined

/** Instantiates the wasm module once per process (Node 20 cannot `import` .wasm directly). */
async function loadEngineModule (): Promise<EngineModule> {
  enginePromise ??= (async () => {
    const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')
    const bg: EngineModule = await import('@prisma/schema-engine-wasm/schema_engine_bg')
    const bytes = readFileSync(join(dirname(bgPath), 'schema_engine_bg.wasm'))
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly
    const { instance } = await wasm.instantiate(bytes, { './schema_engine_bg.js': bg })
    bg.__wbg_set_wasm(instance.exports as never)
    ;(instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.()
    return bg
  })()
  return await enginePromise
}

export function readSchema (): string {
  return readFileSync(SCHEMA_PATH, 'utf8')
}

/** The migrations folder in the shape the engine expects (like the CLI reads it). */
export function readMigrations (dir = MIGRATIONS_DIR): MigrationList {
  const lockPath = join(dir, 'migration_lock.toml')
  const dirs = existsSync(dir) ? readdirSync(dir).filter(d => statSync(join(dir, d)).isDirectory()).sort() : []
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: dirs.map(d => {
      const file = join(dir, d, 'migration.sql')
      return {
        path: d,
        migrationFile: {
          path: 'migration.sql',
          content: existsSync(file) ? { tag: 'ok' as const, value: readFileSync(file, 'utf8') } : { tag: 'error' as const, value: 'missing migration.sql' }
        }
      }
    })
  }
}

export interface Engine {
  engine: WasmSchemaEngine
  free: () => Promise<void>
}

type SqliteFactory = PrismaBetterSqlite3
type SqliteAdapter = Awaited<ReturnType<SqliteFactory['connect']>>

/**
 * The engine sends whole migration scripts through `executeRaw`, which better-sqlite3's `prepare`
 * refuses ("contains more than one statement"); run those through `exec` instead.
 */
function scriptTolerant (adapter: SqliteAdapter): SqliteAdapter {
  const executeRaw = adapter.executeRaw.bind(adapter)
  adapter.executeRaw = async (query) => {
    try {
      return await executeRaw(query)
    } catch (e) {
      if (e instanceof RangeError && /more than one statement/.test(e.message) && query.args.length === 0) {
        await adapter.executeScript(query.sql)
        return 0
      }
      throw e
    }
  }
  return adapter
}

/** The engine's adapter factory; remembers its connections so they can be closed after use. */
function migrationFactory (url: string, opened: SqliteAdapter[]): SqliteFactory {
  const inner = new PrismaBetterSqlite3({ url })
  const track = (a: SqliteAdapter): SqliteAdapter => { opened.push(a); return scriptTolerant(a) }
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => track(await inner.connect()),
    connectToShadowDb: async () => track(await inner.connectToShadowDb())
  } as unknown as SqliteFactory
}

/** Opens a schema engine bound to the SQLite file at `url` (`file:/abs/path.db`). */
export async function openSchemaEngine (url: string): Promise<Engine> {
  const mod = await loadEngineModule()
  const opened: SqliteAdapter[] = []
  const factory = bindMigrationAwareSqlAdapterFactory(migrationFactory(url, opened))
  const engine = await mod.SchemaEngine.new({ datamodels: [[SCHEMA_PATH, readSchema()]] }, () => {}, factory)
  return {
    engine,
    // the engine does not close its connections when freed: close them, or they keep the file locked
    free: async () => {
      engine.free()
      for (const a of opened) await a.dispose()
    }
  }
}

const NO_FILTER = { externalTables: [], externalEnums: [] }

/** Applies every pending migration of `prisma/migrations`, recording them in `_prisma_migrations`. */
export async function applyMigrations (url: string): Promise<string[]> {
  const { engine, free } = await openSchemaEngine(url)
  try {
    const out = await engine.applyMigrations({ migrationsList: readMigrations(), filters: NO_FILTER })
    return out.appliedMigrationNames
  } finally {
    await free()
  }
}

/** SQL that turns the database the migrations produce into what schema.prisma describes ('' = no drift). */
export async function diffMigrationsToSchema (scratchUrl = 'file::memory:'): Promise<string> {
  const { engine, free } = await openSchemaEngine(scratchUrl)
  try {
    const out = await engine.diff({
      from: { tag: 'migrations', ...readMigrations() },
      to: { tag: 'schemaDatamodel', files: [{ path: SCHEMA_PATH, content: readSchema() }] },
      script: true,
      exitCode: null,
      filters: NO_FILTER
    })
    return out.stdout ?? ''
  } finally {
    await free()
  }
}

/** The engine answers an empty diff with a comment line only. */
export function isEmptyDiff (script: string): boolean {
  return script.split('\n').every(l => l.trim() === '' || l.trim() === '-- This is an empty migration.')
}

/**
 * Migrations of prisma/migrations not yet recorded as finished in the database's `_prisma_migrations`
 * (same name, same sha256 checksum as the file). Cheap (no engine): lets a start on an up-to-date
 * database skip loading the wasm engine. Anything unusual (failed or edited migration) counts as pending,
 * so the engine decides.
 */
export function pendingMigrations (dbPath: string): string[] {
  const all = readMigrations().migrationDirectories
  if (!existsSync(dbPath)) return all.map(d => d.path)
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get()
    if (table === undefined) return all.map(d => d.path)
    const rows = db.prepare('SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations').all() as Array<{ migration_name: string, checksum: string, finished_at: unknown, rolled_back_at: unknown }>
    const done = new Map(rows.filter(r => r.finished_at != null && r.rolled_back_at == null).map(r => [r.migration_name, r.checksum]))
    if (rows.some(r => r.finished_at == null && r.rolled_back_at == null)) return all.map(d => d.path)
    return all.filter(d => {
      const c = d.migrationFile.content
      const sum = c.tag === 'ok' ? createHash('sha256').update(c.value).digest('hex') : ''
      return done.get(d.path) !== sum
    }).map(d => d.path)
  } finally {
    db.close()
  }
}
