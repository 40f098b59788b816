/**
 * The store: the only code touching the database. Every access runs under one FIFO lock (reads see
 * only committed data; writes are serialized, which makes "read used ports → plan → insert" atomic),
 * every write is one Prisma transaction, and committed changes bump an in-memory per-cluster
 * generation and notify listeners, so caches built on cluster state (snapshots here, rule sets and
 * traces elsewhere) know when to rebuild.
 */
import type { Node, Pod, Service } from '../cluster/model.ts'
import { openDatabase, type Database } from './database.ts'
import { Mutex } from './mutex.ts'
import { AllocationCache, Repo, type ClusterRecord } from './repo.ts'
import { TreeSharer } from './share.ts'

export interface ClusterChange {
  clusterId: number
  cluster: string
  /** generation after the change (per cluster name, strictly increasing for the process lifetime) */
  generation: number
  deleted: boolean
}

export type ClusterListener = (change: ClusterChange) => void

/**
 * A consistent, parsed view of one cluster at one generation. Its nodes, pods and services are
 * frozen and share equal subtrees (src/store/share.ts): copy before changing anything.
 */
export interface ClusterSnapshot {
  cluster: ClusterRecord
  generation: number
  nodes: Node[]
  pods: Pod[]
  services: Service[]
  /**
   * Derived data cached for this generation (e.g. endpoint slices, per-node rule sets).
   * Dropped with the snapshot when the cluster changes. Use {@link memo}.
   */
  cache: Map<string, unknown>
}

/** Computes `make()` once per snapshot (i.e. once per cluster generation) under `key`. */
export function memo<T> (snap: ClusterSnapshot, key: string, make: () => T): T {
  if (snap.cache.has(key)) return snap.cache.get(key) as T
  const v = make()
  snap.cache.set(key, v)
  return v
}

/** What a write transaction gets: the repository over the transaction and a way to mark clusters changed. */
export interface WriteContext {
  repo: Repo
  /** Marks the cluster changed; listeners fire after commit only. */
  changed: (cluster: { id: number, name: string }, deleted?: boolean) => void
  /** most nodes + pods + services one cluster may hold (0 or unset: no cap); see src/cluster/actions/quota.ts */
  maxClusterObjects?: number
}

export interface StoreOptions {
  /** `file:` URL of the SQLite database; default DATABASE_URL or file:./data/kubenetsim.db */
  databaseUrl?: string
  /** snapshots kept in memory (least recently used are dropped) */
  maxCachedClusters?: number
  /** Prisma interactive-transaction timeout, ms */
  transactionTimeoutMs?: number
  /** most nodes + pods + services per cluster, handed to every write (0: no cap; default 0) */
  maxClusterObjects?: number
}

export class Store {
  readonly #db: Database
  readonly #lock = new Mutex()
  readonly #listeners = new Set<ClusterListener>()
  readonly #generations = new Map<string, number>()
  /** highest generation of any deleted cluster: a re-created name starts above it (so caches keyed by
   *  name + generation never see a stale hit) without keeping every deleted name in memory */
  #deletedFloor = 0
  readonly #snapshots = new Map<string, ClusterSnapshot>()
  readonly #allocs = new AllocationCache()
  readonly #maxCached: number
  readonly #txTimeout: number
  #closed = false
  /** handed to every write as `maxClusterObjects` (buildApp sets it from its limits) */
  maxClusterObjects: number

  private constructor (db: Database, opts: StoreOptions) {
    this.#db = db
    this.maxClusterObjects = opts.maxClusterObjects ?? 0
    this.#maxCached = opts.maxCachedClusters ?? 256
    this.#txTimeout = opts.transactionTimeoutMs ?? 300_000
  }

  /** Opens (and migrates) the database. */
  static async open (opts: StoreOptions = {}): Promise<Store> {
    return new Store(await openDatabase(opts.databaseUrl), opts)
  }

  get databaseUrl (): string { return this.#db.url }
  get appliedMigrations (): string[] { return this.#db.appliedMigrations }
  /** The Prisma client, for store-internal code and tests; prefer read()/write(). */
  get prisma (): Database['prisma'] { return this.#db.prisma }

  /** Runs read-only queries, seeing committed data only. */
  async read<T> (fn: (repo: Repo) => Promise<T>): Promise<T> {
    return await this.#lock.run(async () => await fn(new Repo(this.#db.prisma)))
  }

  /**
   * Runs `fn` in one transaction. Anything thrown rolls the whole transaction back (and is rethrown);
   * change listeners fire only after the commit.
   */
  async write<T> (fn: (ctx: WriteContext) => Promise<T>): Promise<T> {
    return await this.#lock.run(async () => {
      const changes = new Map<string, { id: number, deleted: boolean }>()
      this.#allocs.touched.clear()
      this.#allocs.pendingRv.clear()
      let result: T
      try {
        result = await this.#db.prisma.$transaction(async (tx) => {
          const repo = new Repo(tx, this.#allocs)
          const out = await fn({
            repo,
            maxClusterObjects: this.maxClusterObjects,
            changed: (c, deleted = false) => {
              const prev = changes.get(c.name)
              changes.set(c.name, { id: c.id, deleted: deleted || (prev?.deleted ?? false) })
            }
          })
          await repo.flush()
          return out
        }, { timeout: this.#txTimeout, maxWait: this.#txTimeout })
      } catch (e) {
        // rolled back: the cached entries this transaction changed are wrong now
        for (const id of this.#allocs.touched) this.#allocs.drop(id)
        this.#allocs.pendingRv.clear()
        throw e
      }
      for (const [id, v] of this.#allocs.pendingRv) this.#allocs.rv.set(id, v)
      this.#allocs.pendingRv.clear()
      for (const [name, c] of changes) this.#commitChange(name, c.id, c.deleted)
      return result
    })
  }

  #commitChange (name: string, clusterId: number, deleted: boolean): void {
    const generation = (this.#generations.get(name) ?? this.#deletedFloor) + 1
    if (deleted) {
      this.#generations.delete(name)
      if (generation > this.#deletedFloor) this.#deletedFloor = generation
    } else {
      this.#generations.set(name, generation)
    }
    this.#snapshots.delete(name)
    const change: ClusterChange = { clusterId, cluster: name, generation, deleted }
    for (const l of this.#listeners) {
      try { l(change) } catch { /* a listener must not break the write that already committed */ }
    }
  }

  /** Subscribes to committed changes; returns the unsubscribe function. */
  onClusterChanged (listener: ClusterListener): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /** The in-memory generation of a cluster (0 until its first change in this process). */
  generation (cluster: string): number {
    return this.#generations.get(cluster) ?? 0
  }

  /** The whole cluster, parsed, cached per generation (3 queries on a miss, none on a hit). */
  async snapshot (cluster: string): Promise<ClusterSnapshot | null> {
    const hit = this.#snapshots.get(cluster)
    if (hit != null) {
      this.#snapshots.delete(cluster)
      this.#snapshots.set(cluster, hit)
      return hit
    }
    return await this.#lock.run(async () => {
      const again = this.#snapshots.get(cluster)
      if (again != null) return again
      const repo = new Repo(this.#db.prisma)
      const rec = await repo.findCluster(cluster)
      if (rec == null) return null
      // one pool for the three lists: pod labels and the Service selectors naming them are shared too
      const sharer = new TreeSharer()
      const [nodes, pods, services] = await Promise.all([repo.listNodes(rec.id, sharer), repo.listPods(rec.id, undefined, sharer), repo.listServices(rec.id, undefined, sharer)])
      const snap: ClusterSnapshot = { cluster: rec, generation: this.generation(cluster), nodes, pods, services, cache: new Map() }
      this.#snapshots.set(cluster, snap)
      while (this.#snapshots.size > this.#maxCached) {
        const oldest = this.#snapshots.keys().next().value as string
        this.#snapshots.delete(oldest)
      }
      return snap
    })
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#lock.run(async () => { await this.#db.close() })
  }
}
