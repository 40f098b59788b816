/**
 * Opens the SQLite database: applies pending migrations (Prisma's wasm schema engine, like
 * `prisma migrate deploy`), then connects the generated Prisma client through the better-sqlite3
 * adapter with WAL journaling and foreign keys on (cascade deletes depend on it).
 */
import { mkdirSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaClient } from '../generated/prisma/client.ts'
import { applyMigrations, pendingMigrations } from './schema-engine.ts'

export type Prisma = InstanceType<typeof PrismaClient>

export const DEFAULT_DATABASE_URL = 'file:./data/kubenetsim.db'

/** `file:./x.db` → `file:/abs/x.db` (relative paths resolve against the working directory). */
export function normalizeSqliteUrl (url: string): string {
  const path = url.replace(/^file:/, '')
  if (path === ':memory:' || path === '') throw new Error('an in-memory database cannot be shared by the migration engine and the client; use a file')
  return 'file:' + (isAbsolute(path) ? path : resolve(process.cwd(), path))
}

export interface Database {
  prisma: Prisma
  url: string
  appliedMigrations: string[]
  close: () => Promise<void>
}

export async function openDatabase (databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL): Promise<Database> {
  const url = normalizeSqliteUrl(databaseUrl)
  mkdirSync(dirname(url.slice('file:'.length)), { recursive: true })
  // the wasm engine costs seconds to load: only when something is pending (always on a new database)
  const pending = pendingMigrations(url.slice('file:'.length))
  const appliedMigrations = pending.length === 0 ? [] : await applyMigrations(url)
  const prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url, timeout: 5000 }) })
  await prisma.$connect()
  // PRAGMAs answer rows, so they go through $queryRawUnsafe.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL')
  await prisma.$queryRawUnsafe('PRAGMA synchronous = NORMAL')
  await prisma.$queryRawUnsafe('PRAGMA foreign_keys = ON')
  return {
    prisma,
    url,
    appliedMigrations,
    close: async () => { await prisma.$disconnect() }
  }
}
