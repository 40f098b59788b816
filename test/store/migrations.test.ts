/**
 * Migrations: prisma/migrations are applied by Prisma's schema engine (recorded in _prisma_migrations),
 * schema.prisma does not drift from them, and the database runs in WAL mode with cascading deletes.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { diffMigrationsToSchema, isEmptyDiff, Store } from '../../src/store/index.ts'
import { tempDatabaseUrl } from '../helper.ts'

describe('migrations', () => {
  it('schema.prisma and prisma/migrations do not drift (diff is empty)', async () => {
    const sql = await diffMigrationsToSchema()
    assert.ok(isEmptyDiff(sql), `schema.prisma differs from the migrations; add one with \`npm run db:migrate -- <name>\`:\n${sql}`)
  })

  it('the store applies migrations once, records them like migrate deploy, and runs in WAL mode', async (t) => {
    const { dir, databaseUrl } = tempDatabaseUrl()
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const first = await Store.open({ databaseUrl })
    assert.ok(first.appliedMigrations.length >= 1)
    const rows = await first.prisma.$queryRawUnsafe<Array<{ migration_name: string, finished_at: unknown }>>('SELECT migration_name, finished_at FROM _prisma_migrations')
    assert.deepEqual(rows.map(r => r.migration_name), first.appliedMigrations)
    assert.ok(rows.every(r => r.finished_at != null))
    const mode = await first.prisma.$queryRawUnsafe<Array<{ journal_mode: string }>>('PRAGMA journal_mode')
    assert.equal(mode[0].journal_mode, 'wal')
    const fk = await first.prisma.$queryRawUnsafe<Array<{ foreign_keys: bigint | number }>>('PRAGMA foreign_keys')
    assert.equal(Number(fk[0].foreign_keys), 1)
    await first.close()
    const second = await Store.open({ databaseUrl })
    assert.deepEqual(second.appliedMigrations, [], 'nothing left to apply on the second start')
    await second.close()
  })

  it('a rolled-back write leaves no row and fires no change event', async (t) => {
    const { dir, databaseUrl } = tempDatabaseUrl()
    const store = await Store.open({ databaseUrl })
    t.after(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }) })
    const events: string[] = []
    store.onClusterChanged(c => events.push(`${c.cluster}@${c.generation}`))
    await assert.rejects(store.write(async ({ repo, changed }) => {
      const c = await repo.createCluster({ name: 'x', serviceCIDR: '10.96.0.0/12', clusterCIDR: '10.244.0.0/16', nodePortRange: { min: 30000, max: 32767 }, kubeProxy: { profile: 'current', masqueradeAll: false, nodePortAddresses: [], localhostNodePorts: true, masqueradeBit: 14 } }, 'u', new Date())
      changed(c)
      throw new Error('boom')
    }), /boom/)
    assert.equal(await store.prisma.cluster.count(), 0)
    assert.deepEqual(events, [])
    assert.equal(store.generation('x'), 0)
  })
})
