/**
 * Row-level access for one transaction (or for reads): maps rows to the domain objects of
 * src/cluster/model.ts. Objects are stored whole as JSON; the columns beside them are what the
 * database indexes or constrains. Not-found is `null`, never a throw.
 */
import type { ClusterSettings, Node, Pod, Service } from '../cluster/model.ts'
import type { Prisma } from './database.ts'
import type { TransactionClient } from '../generated/prisma/internal/prismaNamespace.ts'
import { deleteWhereIn, insertRows, insertRowsReturning, updateRows } from './bulk.ts'
import type { TreeSharer } from './share.ts'

export type Client = Prisma | TransactionClient

export interface ClusterRecord {
  id: number
  name: string
  uid: string
  creationTimestamp: string
  resourceVersion: number
  settings: ClusterSettings
}

export interface Stored<T> { id: number, resourceVersion: number, object: T }

export interface NodePortRow {
  port: number
  protocols: string[]
  field: string
  namespace: string
  service: string
}

export interface AllocationRows {
  nodePorts: Array<{ port: number, protocols: string[], field: string }>
  clusterIPs: string[]
}

/** A unique constraint the database refused, named by table and columns. */
export class UniqueViolation extends Error {
  constructor (readonly table: string, readonly fields: string[], cause: unknown) {
    super(`unique constraint failed on ${table}(${fields.join(', ')})`, { cause })
  }
}

type ClusterRow = { id: number, name: string, uid: string, createdAt: Date, serviceCIDR: string, clusterCIDR: string, nodePortMin: number, nodePortMax: number, kubeProxy: string, resourceVersion: number }

function toCluster (r: ClusterRow): ClusterRecord {
  return {
    id: r.id,
    name: r.name,
    uid: r.uid,
    creationTimestamp: r.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    resourceVersion: r.resourceVersion,
    settings: {
      name: r.name,
      serviceCIDR: r.serviceCIDR,
      clusterCIDR: r.clusterCIDR,
      nodePortRange: { min: r.nodePortMin, max: r.nodePortMax },
      kubeProxy: JSON.parse(r.kubeProxy)
    }
  }
}

const parse = <T>(r: { id: number, resourceVersion: number, object: string }): Stored<T> =>
  ({ id: r.id, resourceVersion: r.resourceVersion, object: JSON.parse(r.object) as T })

/** The objects of rows, parsed; frozen and sharing their equal parts when a sharer is given (snapshots). */
function objects<T> (rows: Array<{ object: string }>, sharer?: TreeSharer): T[] {
  const out = new Array<T>(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const o = JSON.parse(rows[i].object) as T
    out[i] = sharer != null ? sharer.share(o) : o
  }
  return out
}

/** Runs a write and turns Prisma's P2002 into a {@link UniqueViolation}. */
export async function unique<T> (table: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    const err = e as { code?: string, meta?: { target?: unknown, modelName?: string, driverAdapterError?: { cause?: { kind?: string, table?: string, constraint?: { fields?: string[] } } } } }
    // P2002 from model queries; raw statements (bulk.ts) fail as P2010 with the driver's own kind
    if (err?.code === 'P2002' || (err?.code === 'P2010' && err.meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation')) {
      const target = err.meta?.target
      const cause = err.meta?.driverAdapterError?.cause
      const fields = Array.isArray(target) ? target.map(String) : (cause?.constraint?.fields ?? [])
      // nested writes touch several tables: the driver names the one whose index refused the row
      throw new UniqueViolation(cause?.table ?? err.meta?.modelName ?? table, fields, e)
    }
    throw e
  }
}

const rv = (o: { metadata: { resourceVersion?: string } }): number => Number(o.metadata.resourceVersion ?? 0)

/**
 * In-memory copy of the allocation tables of the clusters touched lately (port/IP → service id), so
 * a write does not re-read every allocation row. Only writes use it, and writes are serialized; a
 * rolled-back transaction drops the entries it touched (the store does that), the database stays
 * the authority (its unique indexes still guard every insert).
 */
export class AllocationCache {
  readonly #clusters = new Map<number, { ports: Map<number, number>, ips: Map<string, number> }>()
  /** clusters whose entry this transaction changed */
  readonly touched = new Set<number>()
  /** cluster rows by name (id and settings never change; resourceVersion is as of caching) */
  readonly records = new Map<string, ClusterRecord>()
  /** committed resourceVersion counter per cluster (this process is the only writer) */
  readonly rv = new Map<number, number>()
  /** counters taken by the open transaction, written once by flush() */
  readonly pendingRv = new Map<number, number>()

  get (clusterId: number): { ports: Map<number, number>, ips: Map<string, number> } | undefined {
    return this.#clusters.get(clusterId)
  }

  set (clusterId: number, v: { ports: Map<number, number>, ips: Map<string, number> }): void {
    this.#clusters.set(clusterId, v)
    if (this.#clusters.size > 256) this.#clusters.delete(this.#clusters.keys().next().value as number)
  }

  drop (clusterId: number): void {
    this.#clusters.delete(clusterId)
    this.rv.delete(clusterId)
    for (const [name, r] of this.records) if (r.id === clusterId) this.records.delete(name)
  }
}

/** The keys of a key → holder map as a ReadonlySet, optionally hiding one holder's keys. */
export class KeyView<K, V = number> implements ReadonlySet<K> {
  constructor (readonly map: Map<K, V>, readonly except?: V) {}
  has (k: K): boolean {
    const id = this.map.get(k)
    return id !== undefined && id !== this.except
  }

  get size (): number {
    if (this.except === undefined) return this.map.size
    let n = 0
    for (const id of this.map.values()) if (id !== this.except) n++
    return n
  }

  * keys (): SetIterator<K> {
    for (const [k, id] of this.map) if (id !== this.except) yield k
  }

  values (): SetIterator<K> { return this.keys() }
  * entries (): SetIterator<[K, K]> { for (const k of this.keys()) yield [k, k] }
  [Symbol.iterator] (): SetIterator<K> { return this.keys() }
  forEach (fn: (v: K, k: K, s: ReadonlySet<K>) => void, thisArg?: unknown): void {
    for (const k of this.keys()) fn.call(thisArg, k, k, this)
  }
}

export class Repo {
  constructor (readonly db: Client, readonly allocs: AllocationCache = new AllocationCache()) {}

  /** The cluster's allocation maps (port/IP → service id), read once and then kept in the cache. */
  protected async allocations (clusterId: number): Promise<{ ports: Map<number, number>, ips: Map<string, number> }> {
    const hit = this.allocs.get(clusterId)
    if (hit != null) return hit
    const [ports, ips] = await Promise.all([
      this.db.nodePortAllocation.findMany({ where: { clusterId }, select: { port: true, serviceId: true } }),
      this.db.clusterIPAllocation.findMany({ where: { clusterId }, select: { ip: true, serviceId: true } })
    ])
    const v = { ports: new Map(ports.map(r => [r.port, r.serviceId])), ips: new Map(ips.map(r => [r.ip, r.serviceId])) }
    this.allocs.set(clusterId, v)
    return v
  }

  protected async forget (clusterId: number, serviceId: number): Promise<void> {
    const a = await this.allocations(clusterId)
    this.allocs.touched.add(clusterId)
    for (const [k, v] of a.ports) if (v === serviceId) a.ports.delete(k)
    for (const [k, v] of a.ips) if (v === serviceId) a.ips.delete(k)
  }

  // --- clusters -------------------------------------------------------------------------------
  async findCluster (name: string): Promise<ClusterRecord | null> {
    const r = await this.db.cluster.findUnique({ where: { name } })
    return r == null ? null : toCluster(r)
  }

  /**
   * The cluster's id and settings without a query when seen before (write paths use this; its
   * resourceVersion may be stale, use findCluster for that).
   */
  async findClusterCached (name: string): Promise<ClusterRecord | null> {
    const hit = this.allocs.records.get(name)
    if (hit != null) return hit
    const r = await this.findCluster(name)
    if (r != null) {
      this.allocs.touched.add(r.id) // forgotten again if this transaction rolls back
      this.allocs.records.set(name, r)
      if (this.allocs.records.size > 1024) this.allocs.records.delete(this.allocs.records.keys().next().value as string)
    }
    return r
  }

  async listClusters (): Promise<ClusterRecord[]> {
    return (await this.db.cluster.findMany({ orderBy: { name: 'asc' } })).map(toCluster)
  }

  async createCluster (s: ClusterSettings, uid: string, createdAt: Date): Promise<ClusterRecord> {
    const r = await unique('Cluster', async () => await this.db.cluster.create({
      data: {
        name: s.name,
        uid,
        createdAt,
        serviceCIDR: s.serviceCIDR,
        clusterCIDR: s.clusterCIDR,
        nodePortMin: s.nodePortRange.min,
        nodePortMax: s.nodePortRange.max,
        kubeProxy: JSON.stringify(s.kubeProxy),
        resourceVersion: 1
      }
    }))
    return toCluster(r)
  }

  /** Deletes the cluster; nodes, pods, services and allocations go with it (ON DELETE CASCADE). */
  async deleteCluster (id: number): Promise<void> {
    this.allocs.touched.add(id)
    this.allocs.drop(id)
    await this.db.cluster.delete({ where: { id } })
  }

  /** Takes the next cluster-wide resourceVersion (one counter per cluster, like etcd's revision). */
  async nextResourceVersion (clusterId: number): Promise<number> {
    const next = await this.currentResourceVersion(clusterId) + 1
    this.allocs.pendingRv.set(clusterId, next)
    this.allocs.touched.add(clusterId)
    return next
  }

  /** The counter as this transaction sees it. */
  async currentResourceVersion (clusterId: number): Promise<number> {
    let cur = this.allocs.pendingRv.get(clusterId) ?? this.allocs.rv.get(clusterId)
    if (cur === undefined) {
      const r = await this.db.cluster.findUnique({ where: { id: clusterId }, select: { resourceVersion: true } })
      cur = r?.resourceVersion ?? 0
    }
    return cur
  }

  /** Writes the counters taken in this transaction (one UPDATE per cluster, before commit). */
  async flush (): Promise<void> {
    for (const [id, v] of this.allocs.pendingRv) {
      await this.db.$executeRawUnsafe('UPDATE "Cluster" SET "resourceVersion" = ? WHERE "id" = ?', v, id)
    }
  }

  /** Nodes + pods + services of a cluster: one statement, three COUNTs on the (clusterId, ...) unique indexes. */
  async countObjects (clusterId: number): Promise<number> {
    const rows = await this.db.$queryRawUnsafe<Array<{ n: number | bigint }>>(
      'SELECT (SELECT COUNT(*) FROM "Node" WHERE "clusterId" = ?) + (SELECT COUNT(*) FROM "Pod" WHERE "clusterId" = ?) + (SELECT COUNT(*) FROM "Service" WHERE "clusterId" = ?) AS n',
      clusterId, clusterId, clusterId)
    return Number(rows[0]?.n ?? 0)
  }

  // --- nodes ----------------------------------------------------------------------------------
  async listNodes (clusterId: number, sharer?: TreeSharer): Promise<Node[]> {
    const rows = await this.db.node.findMany({ where: { clusterId }, orderBy: { name: 'asc' }, select: { object: true } })
    return objects<Node>(rows, sharer)
  }

  async findNode (clusterId: number, name: string): Promise<(Stored<Node> & { lastPodIP: string | null }) | null> {
    const r = await this.db.node.findUnique({ where: { clusterId_name: { clusterId, name } } })
    return r == null ? null : { ...parse<Node>(r), lastPodIP: r.lastPodIP }
  }

  async usedPodCIDRs (clusterId: number): Promise<Set<string>> {
    const rows = await this.db.node.findMany({ where: { clusterId, podCIDR: { not: null } }, select: { podCIDR: true } })
    return new Set(rows.map(r => r.podCIDR as string))
  }

  async insertNode (clusterId: number, node: Node): Promise<number> {
    const r = await unique('Node', async () => await this.db.node.create({ data: { clusterId, ...nodeColumns(node) }, select: { id: true } }))
    return r.id
  }

  async updateNode (id: number, node: Node): Promise<void> {
    await unique('Node', async () => await this.db.node.update({ where: { id }, data: nodeColumns(node) }))
  }

  async setNodeLastPodIP (id: number, ip: string): Promise<void> {
    await this.db.node.update({ where: { id }, data: { lastPodIP: ip } })
  }

  async deleteNode (id: number): Promise<void> {
    await this.db.node.delete({ where: { id } })
  }

  // --- pods -----------------------------------------------------------------------------------
  async listPods (clusterId: number, namespace?: string, sharer?: TreeSharer): Promise<Pod[]> {
    const rows = await this.db.pod.findMany({ where: { clusterId, namespace }, orderBy: [{ namespace: 'asc' }, { name: 'asc' }], select: { object: true } })
    return objects<Pod>(rows, sharer)
  }

  async findPod (clusterId: number, namespace: string, name: string): Promise<Stored<Pod> | null> {
    const r = await this.db.pod.findUnique({ where: { clusterId_namespace_name: { clusterId, namespace, name } } })
    return r == null ? null : parse<Pod>(r)
  }

  /** Pod IPs held in the cluster (hostNetwork pods hold none). */
  async usedPodIPs (clusterId: number): Promise<ReadonlySet<string>> {
    const rows = await this.db.podIPAllocation.findMany({ where: { clusterId }, select: { ip: true } })
    return new Set(rows.map(r => r.ip))
  }

  async podIPHolder (clusterId: number, ip: string): Promise<{ namespace: string, name: string } | null> {
    const r = await this.db.podIPAllocation.findUnique({ where: { clusterId_ip: { clusterId, ip } }, select: { pod: { select: { namespace: true, name: true } } } })
    return r?.pod ?? null
  }

  /** Inserts the pod and, unless it is on the host network, the row holding its IP. */
  async insertPod (clusterId: number, pod: Pod): Promise<number> {
    const r = await unique('Pod', async () => await this.db.pod.create({ data: { clusterId, ...podColumns(pod) }, select: { id: true } }))
    await this.#holdPodIP(clusterId, r.id, pod)
    return r.id
  }

  async updatePod (clusterId: number, id: number, pod: Pod): Promise<void> {
    await this.db.pod.update({ where: { id }, data: podColumns(pod) })
    await this.db.podIPAllocation.deleteMany({ where: { podId: id } })
    await this.#holdPodIP(clusterId, id, pod)
  }

  async #holdPodIP (clusterId: number, podId: number, pod: Pod): Promise<void> {
    const ip = pod.status.podIP
    if (ip == null || ip === '' || pod.spec.hostNetwork === true) return
    await unique('PodIPAllocation', async () => await this.db.podIPAllocation.create({ data: { clusterId, podId, ip } }))
  }

  async deletePod (id: number): Promise<void> {
    await this.db.pod.delete({ where: { id } })
  }

  // --- services -------------------------------------------------------------------------------
  async listServices (clusterId: number, namespace?: string, sharer?: TreeSharer): Promise<Service[]> {
    const rows = await this.db.service.findMany({ where: { clusterId, namespace }, orderBy: [{ namespace: 'asc' }, { name: 'asc' }], select: { object: true } })
    return objects<Service>(rows, sharer)
  }

  async findService (clusterId: number, namespace: string, name: string): Promise<Stored<Service> | null> {
    const r = await this.db.service.findUnique({ where: { clusterId_namespace_name: { clusterId, namespace, name } } })
    return r == null ? null : parse<Service>(r)
  }

  /** NodePorts held in the cluster (a live read-only view, no copy), optionally not counting one service's own. */
  async usedNodePorts (clusterId: number, exceptServiceId?: number): Promise<ReadonlySet<number>> {
    return new KeyView((await this.allocations(clusterId)).ports, exceptServiceId)
  }

  /** ClusterIPs held in the cluster (a live read-only view), optionally not counting one service's own. */
  async usedClusterIPs (clusterId: number, exceptServiceId?: number): Promise<ReadonlySet<string>> {
    return new KeyView((await this.allocations(clusterId)).ips, exceptServiceId)
  }

  /** Inserts the service with its allocation rows in one statement batch (unique indexes checked by the database). */
  async insertService (clusterId: number, svc: Service, alloc: AllocationRows): Promise<number> {
    const cache = await this.allocations(clusterId)
    const c = serviceColumns(svc)
    // plain SQL: the service write is the hot path of single creates, and Prisma's nested create costs
    // several times the statements' own time (bulk.ts); same statements and order as the nested create
    const [row] = await unique('Service', async () => await insertRowsReturning<{ id: number | bigint }>(this.db, 'Service',
      ['clusterId', 'namespace', 'name', 'resourceVersion', 'type', 'clusterIP', 'object'],
      [[clusterId, c.namespace, c.name, c.resourceVersion, c.type, c.clusterIP, c.object]], ['id']))
    const id = Number(row.id)
    await this.#insertAllocations(clusterId, id, alloc)
    this.remember(cache, clusterId, id, alloc)
    return id
  }

  /** The allocation rows of one service: NodePorts first, then ClusterIPs (unique per cluster, checked by the database). */
  async #insertAllocations (clusterId: number, serviceId: number, alloc: AllocationRows): Promise<void> {
    await unique('NodePortAllocation', async () => await insertRows(this.db, 'NodePortAllocation', ['clusterId', 'serviceId', 'port', 'protocols', 'field'],
      alloc.nodePorts.map(p => [clusterId, serviceId, p.port, p.protocols.join(','), p.field])))
    await unique('ClusterIPAllocation', async () => await insertRows(this.db, 'ClusterIPAllocation', ['clusterId', 'serviceId', 'ip'],
      alloc.clusterIPs.map(ip => [clusterId, serviceId, ip])))
  }

  protected remember (cache: { ports: Map<number, number>, ips: Map<string, number> }, clusterId: number, serviceId: number, alloc: AllocationRows): void {
    this.allocs.touched.add(clusterId)
    for (const p of alloc.nodePorts) cache.ports.set(p.port, serviceId)
    for (const ip of alloc.clusterIPs) cache.ips.set(ip, serviceId)
  }

  /** Rewrites the service and swaps its allocation rows (released ones go, new ones are checked by the database). */
  async updateService (clusterId: number, id: number, svc: Service, alloc: AllocationRows): Promise<void> {
    const cache = await this.allocations(clusterId)
    await this.forget(clusterId, id)
    const c = serviceColumns(svc)
    await unique('Service', async () => await updateRows(this.db, 'Service', ['namespace', 'name', 'resourceVersion', 'type', 'clusterIP', 'object'],
      [[id, c.namespace, c.name, c.resourceVersion, c.type, c.clusterIP, c.object]]))
    await deleteWhereIn(this.db, 'NodePortAllocation', 'serviceId', [id])
    await deleteWhereIn(this.db, 'ClusterIPAllocation', 'serviceId', [id])
    await this.#insertAllocations(clusterId, id, alloc)
    this.remember(cache, clusterId, id, alloc)
  }

  /** Deletes the service; its allocation rows go with it (ON DELETE CASCADE). */
  async deleteService (clusterId: number, id: number): Promise<void> {
    await this.db.service.delete({ where: { id } })
    await this.forget(clusterId, id)
  }

  /** The NodePort allocation table: which service holds each port, by port. */
  async listNodePorts (clusterId: number): Promise<NodePortRow[]> {
    const rows = await this.db.nodePortAllocation.findMany({
      where: { clusterId },
      orderBy: { port: 'asc' },
      select: { port: true, protocols: true, field: true, service: { select: { namespace: true, name: true } } }
    })
    return rows.map(r => ({ port: r.port, protocols: r.protocols.split(','), field: r.field, namespace: r.service.namespace, service: r.service.name }))
  }
}

export function nodeColumns (node: Node): { name: string, resourceVersion: number, podCIDR: string | null, internalIP: string | null, object: string } {
  return {
    name: node.metadata.name,
    resourceVersion: rv(node),
    podCIDR: node.spec.podCIDR ?? null,
    internalIP: node.status.addresses.find(a => a.type === 'InternalIP')?.address ?? null,
    object: JSON.stringify(node)
  }
}

export function podColumns (pod: Pod): { namespace: string, name: string, resourceVersion: number, nodeName: string | null, podIP: string | null, hostNetwork: boolean, object: string } {
  return {
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    resourceVersion: rv(pod),
    nodeName: pod.spec.nodeName ?? null,
    podIP: pod.status.podIP ?? null,
    hostNetwork: pod.spec.hostNetwork === true,
    object: JSON.stringify(pod)
  }
}

export function serviceColumns (svc: Service): { namespace: string, name: string, resourceVersion: number, type: string, clusterIP: string | null, object: string } {
  return {
    namespace: svc.metadata.namespace ?? 'default',
    name: svc.metadata.name,
    resourceVersion: rv(svc),
    type: svc.spec.type,
    clusterIP: svc.spec.clusterIP ?? null,
    object: JSON.stringify(svc)
  }
}
