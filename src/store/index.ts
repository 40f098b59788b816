/** Public surface of the store (the only code touching the database). */
export { Store, memo } from './store.ts'
export type { ClusterChange, ClusterListener, ClusterSnapshot, StoreOptions, WriteContext } from './store.ts'
export { Repo, UniqueViolation } from './repo.ts'
export { StagedRepo } from './staged.ts'
export type { AllocationRows, ClusterRecord, NodePortRow, Stored } from './repo.ts'
export { DEFAULT_DATABASE_URL, normalizeSqliteUrl } from './database.ts'
export { applyMigrations, diffMigrationsToSchema, isEmptyDiff } from './schema-engine.ts'
export { TreeSharer } from './share.ts'
