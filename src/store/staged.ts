/**
 * A write-behind repository for bulk writes (manifests) inside one open transaction. The use cases
 * run unchanged against it: their lookups are answered from maps of the cluster's rows, read once,
 * their writes land in those maps, and {@link StagedRepo.commit} writes everything with a few
 * multi-row statements per kind (bulk.ts).
 *
 * Why: through Prisma every query costs its interpretation and a statement prepare, and a pod took
 * about six of them (look up the pod and the node, read the used pod IPs, take a resourceVersion,
 * insert, remember the node's last IP). Here a 6,000-object manifest takes a few dozen statements.
 *
 * The unique constraints the database enforces (names, podCIDRs, pod IPs, NodePorts, ClusterIPs) are
 * checked against the maps at the moment of each write and raise the same {@link UniqueViolation}
 * the database would (same table, same order), so the use cases answer the same Status errors. The
 * database's indexes still guard the final inserts. Lookups return fresh copies parsed from the
 * stored JSON, as rows read back from the database would be.
 */
import type { Node, Pod, Service } from '../cluster/model.ts'
import { KeyView, Repo, UniqueViolation, nodeColumns, podColumns, serviceColumns, type AllocationRows, type Client, type Stored } from './repo.ts'
import { deleteWhereIn, insertRows, insertRowsReturning, updateRows, type Value } from './bulk.ts'

type NodeCols = ReturnType<typeof nodeColumns>
type PodCols = ReturnType<typeof podColumns>
type ServiceCols = ReturnType<typeof serviceColumns>

/** clean: as in the database; new: to insert; dirty: existed, to update */
type State = 'clean' | 'new' | 'dirty'

interface NodeRow { id: number, cols: NodeCols, lastPodIP: string | null, lastPodIPChanged: boolean, state: State }
interface PodRow { id: number, cols: PodCols, state: State }
interface ServiceRow { id: number, cols: ServiceCols, alloc?: AllocationRows, state: State }

/** Keys per `IN (…)` lookup. */
const LOOKUP_CHUNK = 500

const key = (namespace: string, name: string): string => `${namespace}/${name}`

function chunks<T> (xs: T[], n: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

const NODE_COLUMNS = ['name', 'resourceVersion', 'podCIDR', 'internalIP', 'lastPodIP', 'object'] as const
const POD_COLUMNS = ['namespace', 'name', 'resourceVersion', 'nodeName', 'podIP', 'hostNetwork', 'object'] as const
const SERVICE_COLUMNS = ['namespace', 'name', 'resourceVersion', 'type', 'clusterIP', 'object'] as const

/** Inserts namespaced rows (`[clusterId, ...columns]`) and answers their ids by ns/name (RETURNING has no order). */
async function insertReturningIds (db: Client, table: string, columns: readonly string[], rows: Value[][]): Promise<Map<string, number>> {
  const got = await insertRowsReturning<{ id: number | bigint, namespace: string, name: string }>(db, table, ['clusterId', ...columns], rows, ['id', 'namespace', 'name'])
  return new Map(got.map(r => [key(r.namespace, r.name), Number(r.id)]))
}

function idOf (ids: Map<string, number>, what: string, cols: { namespace: string, name: string }): number {
  const id = ids.get(key(cols.namespace, cols.name))
  if (id === undefined) throw new Error(`staged repository: no id came back for ${what} ${key(cols.namespace, cols.name)}`)
  return id
}

function unsupported (what: string): never {
  throw new Error(`staged repository: ${what} is not supported in a bulk write`)
}

export class StagedRepo extends Repo {
  readonly #clusterId: number
  /** temporary ids of rows not inserted yet (negative, so never a real row id) */
  #nextTemp = -1

  #nodes: Map<string, NodeRow> | undefined
  readonly #nodesById = new Map<number, NodeRow>()

  /** ns/name → row, or null when known to be absent */
  readonly #pods = new Map<string, PodRow | null>()
  readonly #podsById = new Map<number, PodRow>()
  /** pod IP allocations: ip → ns/name of the holder, and back */
  #ipOwner: Map<string, string> | undefined
  readonly #ipOf = new Map<string, string>()

  readonly #services = new Map<string, ServiceRow | null>()
  readonly #servicesById = new Map<number, ServiceRow>()

  constructor (base: Repo, clusterId: number) {
    super(base.db, base.allocs)
    this.#clusterId = clusterId
  }

  #own (clusterId: number): void {
    if (clusterId !== this.#clusterId) unsupported(`cluster ${clusterId} (staged for ${this.#clusterId})`)
  }

  /** Reads in a few queries the pods and services a bulk write names, so lookups need none. */
  async prefetch (names: { pods?: Array<[string, string]>, services?: Array<[string, string]> }): Promise<void> {
    await this.#prefetchPods(names.pods ?? [])
    await this.#prefetchServices(names.services ?? [])
  }

  // --- nodes (all of the cluster's, read once: their podCIDRs are needed as a set anyway) --------
  async #loadNodes (): Promise<Map<string, NodeRow>> {
    if (this.#nodes != null) return this.#nodes
    const rows = await this.db.node.findMany({ where: { clusterId: this.#clusterId } })
    const m = new Map<string, NodeRow>()
    for (const r of rows) {
      const row: NodeRow = {
        id: r.id,
        cols: { name: r.name, resourceVersion: r.resourceVersion, podCIDR: r.podCIDR, internalIP: r.internalIP, object: r.object },
        lastPodIP: r.lastPodIP,
        lastPodIPChanged: false,
        state: 'clean'
      }
      m.set(r.name, row)
      this.#nodesById.set(r.id, row)
    }
    this.#nodes = m
    return m
  }

  override async listNodes (clusterId: number): Promise<Node[]> {
    this.#own(clusterId)
    const nodes = [...(await this.#loadNodes()).values()]
    nodes.sort((a, b) => a.cols.name < b.cols.name ? -1 : a.cols.name > b.cols.name ? 1 : 0)
    return nodes.map(n => JSON.parse(n.cols.object) as Node)
  }

  override async findNode (clusterId: number, name: string): Promise<(Stored<Node> & { lastPodIP: string | null }) | null> {
    this.#own(clusterId)
    const r = (await this.#loadNodes()).get(name)
    return r == null ? null : { id: r.id, resourceVersion: r.cols.resourceVersion, object: JSON.parse(r.cols.object) as Node, lastPodIP: r.lastPodIP }
  }

  override async usedPodCIDRs (clusterId: number): Promise<Set<string>> {
    this.#own(clusterId)
    const out = new Set<string>()
    for (const r of (await this.#loadNodes()).values()) if (r.cols.podCIDR != null) out.add(r.cols.podCIDR)
    return out
  }

  #checkNode (nodes: Map<string, NodeRow>, cols: NodeCols, self?: NodeRow): void {
    if (cols.podCIDR == null) return
    for (const r of nodes.values()) {
      if (r !== self && r.cols.podCIDR === cols.podCIDR) throw new UniqueViolation('Node', ['clusterId', 'podCIDR'], null)
    }
  }

  override async insertNode (clusterId: number, node: Node): Promise<number> {
    this.#own(clusterId)
    const nodes = await this.#loadNodes()
    const cols = nodeColumns(node)
    if (nodes.has(cols.name)) throw new UniqueViolation('Node', ['clusterId', 'name'], null)
    this.#checkNode(nodes, cols)
    const row: NodeRow = { id: this.#nextTemp--, cols, lastPodIP: null, lastPodIPChanged: false, state: 'new' }
    nodes.set(cols.name, row)
    this.#nodesById.set(row.id, row)
    return row.id
  }

  override async updateNode (id: number, node: Node): Promise<void> {
    const nodes = await this.#loadNodes()
    const row = this.#nodesById.get(id)
    if (row == null) return unsupported(`update of unknown node ${id}`)
    const cols = nodeColumns(node)
    if (cols.name !== row.cols.name) {
      if (nodes.has(cols.name)) throw new UniqueViolation('Node', ['clusterId', 'name'], null)
    }
    this.#checkNode(nodes, cols, row)
    nodes.delete(row.cols.name)
    nodes.set(cols.name, row)
    row.cols = cols
    if (row.state === 'clean') row.state = 'dirty'
  }

  override async setNodeLastPodIP (id: number, ip: string): Promise<void> {
    await this.#loadNodes()
    const row = this.#nodesById.get(id)
    if (row == null) return unsupported(`update of unknown node ${id}`)
    row.lastPodIP = ip
    row.lastPodIPChanged = true
  }

  override async deleteNode (): Promise<void> { unsupported('deleting a node') }

  // --- pods ---------------------------------------------------------------------------------------
  #podRow (r: { id: number, namespace: string, name: string, resourceVersion: number, nodeName: string | null, podIP: string | null, hostNetwork: boolean, object: string }): PodRow {
    const row: PodRow = {
      id: r.id,
      cols: { namespace: r.namespace, name: r.name, resourceVersion: r.resourceVersion, nodeName: r.nodeName, podIP: r.podIP, hostNetwork: r.hostNetwork, object: r.object },
      state: 'clean'
    }
    this.#podsById.set(r.id, row)
    return row
  }

  /** One row by namespace and name: from the cache, else read once (a miss is remembered too). */
  async #row<R, Row> (
    cache: Map<string, Row | null>, namespace: string, name: string,
    find: (where: { clusterId_namespace_name: { clusterId: number, namespace: string, name: string } }) => Promise<R | null>,
    toRow: (r: R) => Row
  ): Promise<Row | null> {
    const k = key(namespace, name)
    const hit = cache.get(k)
    if (hit !== undefined) return hit
    const r = await find({ clusterId_namespace_name: { clusterId: this.#clusterId, namespace, name } })
    const row = r == null ? null : toRow(r)
    cache.set(k, row)
    return row
  }

  /**
   * Loads the rows of the (namespace, name) pairs not cached yet into `cache` (null for a missing
   * one), by name in chunks: one query per chunk instead of one per object.
   */
  async #prefetch<R extends { namespace: string, name: string }, Row> (
    cache: Map<string, Row | null>, names: Array<[string, string]>,
    fetch: (part: string[]) => Promise<R[]>, toRow: (r: R) => Row
  ): Promise<void> {
    const want = names.filter(([ns, n]) => !cache.has(key(ns, n)))
    if (want.length === 0) return
    const wanted = new Set(want.map(([ns, n]) => key(ns, n)))
    for (const part of chunks([...new Set(want.map(([, n]) => n))], LOOKUP_CHUNK)) {
      for (const r of await fetch(part)) {
        const k = key(r.namespace, r.name)
        if (wanted.has(k)) cache.set(k, toRow(r))
      }
    }
    for (const k of wanted) if (!cache.has(k)) cache.set(k, null)
  }

  async #prefetchPods (names: Array<[string, string]>): Promise<void> {
    await this.#prefetch(this.#pods, names, async part => await this.db.pod.findMany({ where: { clusterId: this.#clusterId, name: { in: part } } }), r => this.#podRow(r))
  }

  async #pod (namespace: string, name: string): Promise<PodRow | null> {
    return await this.#row(this.#pods, namespace, name, async where => await this.db.pod.findUnique({ where }), r => this.#podRow(r))
  }

  override async findPod (clusterId: number, namespace: string, name: string): Promise<Stored<Pod> | null> {
    this.#own(clusterId)
    const r = await this.#pod(namespace, name)
    return r == null ? null : { id: r.id, resourceVersion: r.cols.resourceVersion, object: JSON.parse(r.cols.object) as Pod }
  }

  async #ips (): Promise<Map<string, string>> {
    if (this.#ipOwner != null) return this.#ipOwner
    const rows = await this.db.podIPAllocation.findMany({ where: { clusterId: this.#clusterId }, select: { ip: true, pod: { select: { namespace: true, name: true } } } })
    const m = new Map<string, string>()
    for (const r of rows) {
      const k = key(r.pod.namespace, r.pod.name)
      m.set(r.ip, k)
      this.#ipOf.set(k, r.ip)
    }
    this.#ipOwner = m
    return m
  }

  /** Pod IPs held in the cluster: a live read-only view of the staged allocations. */
  override async usedPodIPs (clusterId: number): Promise<ReadonlySet<string>> {
    this.#own(clusterId)
    return new KeyView<string, string>(await this.#ips())
  }

  override async podIPHolder (clusterId: number, ip: string): Promise<{ namespace: string, name: string } | null> {
    this.#own(clusterId)
    const k = (await this.#ips()).get(ip)
    if (k === undefined) return null
    const slash = k.indexOf('/')
    return { namespace: k.slice(0, slash), name: k.slice(slash + 1) }
  }

  /** The IP a pod holds a row for (none on the host network), as #holdPodIP in Repo decides. */
  static #heldIP (pod: Pod): string | undefined {
    const ip = pod.status.podIP
    return ip == null || ip === '' || pod.spec.hostNetwork === true ? undefined : ip
  }

  async #holdIP (k: string, pod: Pod): Promise<void> {
    const owners = await this.#ips()
    const ip = StagedRepo.#heldIP(pod)
    if (ip === undefined) return
    if (owners.has(ip)) throw new UniqueViolation('PodIPAllocation', ['clusterId', 'ip'], null)
    owners.set(ip, k)
    this.#ipOf.set(k, ip)
  }

  override async insertPod (clusterId: number, pod: Pod): Promise<number> {
    this.#own(clusterId)
    const cols = podColumns(pod)
    const k = key(cols.namespace, cols.name)
    if (await this.#pod(cols.namespace, cols.name) != null) throw new UniqueViolation('Pod', ['clusterId', 'namespace', 'name'], null)
    await this.#holdIP(k, pod)
    const row: PodRow = { id: this.#nextTemp--, cols, state: 'new' }
    this.#pods.set(k, row)
    this.#podsById.set(row.id, row)
    return row.id
  }

  override async updatePod (clusterId: number, id: number, pod: Pod): Promise<void> {
    this.#own(clusterId)
    const row = this.#podsById.get(id)
    if (row == null) return unsupported(`update of unknown pod ${id}`)
    const owners = await this.#ips()
    const k = key(row.cols.namespace, row.cols.name)
    const cols = podColumns(pod)
    if (key(cols.namespace, cols.name) !== k) return unsupported('renaming a pod')
    row.cols = cols
    if (row.state === 'clean') row.state = 'dirty'
    // the pod's old IP row goes, the new one is checked (Repo.updatePod: deleteMany, then create)
    const old = this.#ipOf.get(k)
    if (old !== undefined) {
      owners.delete(old)
      this.#ipOf.delete(k)
    }
    await this.#holdIP(k, pod)
  }

  override async deletePod (): Promise<void> { unsupported('deleting a pod') }
  override async listPods (): Promise<Pod[]> { return unsupported('listing pods') }

  // --- services -----------------------------------------------------------------------------------
  #serviceRow (r: { id: number, namespace: string, name: string, resourceVersion: number, type: string, clusterIP: string | null, object: string }): ServiceRow {
    const row: ServiceRow = {
      id: r.id,
      cols: { namespace: r.namespace, name: r.name, resourceVersion: r.resourceVersion, type: r.type, clusterIP: r.clusterIP, object: r.object },
      state: 'clean'
    }
    this.#servicesById.set(r.id, row)
    return row
  }

  async #prefetchServices (names: Array<[string, string]>): Promise<void> {
    await this.#prefetch(this.#services, names, async part => await this.db.service.findMany({ where: { clusterId: this.#clusterId, name: { in: part } } }), r => this.#serviceRow(r))
  }

  async #service (namespace: string, name: string): Promise<ServiceRow | null> {
    return await this.#row(this.#services, namespace, name, async where => await this.db.service.findUnique({ where }), r => this.#serviceRow(r))
  }

  override async findService (clusterId: number, namespace: string, name: string): Promise<Stored<Service> | null> {
    this.#own(clusterId)
    const r = await this.#service(namespace, name)
    return r == null ? null : { id: r.id, resourceVersion: r.cols.resourceVersion, object: JSON.parse(r.cols.object) as Service }
  }

  /** The checks of the allocation tables' unique (cluster, port) and (cluster, ip), rows in insert order. */
  static #checkAlloc (cache: { ports: Map<number, number>, ips: Map<string, number> }, alloc: AllocationRows): void {
    const ports = new Set<number>()
    for (const p of alloc.nodePorts) {
      if (cache.ports.has(p.port) || ports.has(p.port)) throw new UniqueViolation('NodePortAllocation', ['clusterId', 'port'], null)
      ports.add(p.port)
    }
    const ips = new Set<string>()
    for (const ip of alloc.clusterIPs) {
      if (cache.ips.has(ip) || ips.has(ip)) throw new UniqueViolation('ClusterIPAllocation', ['clusterId', 'ip'], null)
      ips.add(ip)
    }
  }

  override async insertService (clusterId: number, svc: Service, alloc: AllocationRows): Promise<number> {
    this.#own(clusterId)
    const cache = await this.allocations(clusterId)
    const cols = serviceColumns(svc)
    if (await this.#service(cols.namespace, cols.name) != null) throw new UniqueViolation('Service', ['clusterId', 'namespace', 'name'], null)
    StagedRepo.#checkAlloc(cache, alloc)
    const row: ServiceRow = { id: this.#nextTemp--, cols, alloc, state: 'new' }
    this.#services.set(key(cols.namespace, cols.name), row)
    this.#servicesById.set(row.id, row)
    this.remember(cache, clusterId, row.id, alloc)
    return row.id
  }

  override async updateService (clusterId: number, id: number, svc: Service, alloc: AllocationRows): Promise<void> {
    this.#own(clusterId)
    const row = this.#servicesById.get(id)
    if (row == null) return unsupported(`update of unknown service ${id}`)
    const cache = await this.allocations(clusterId)
    const cols = serviceColumns(svc)
    if (key(cols.namespace, cols.name) !== key(row.cols.namespace, row.cols.name)) return unsupported('renaming a service')
    await this.forget(clusterId, id)
    StagedRepo.#checkAlloc(cache, alloc)
    row.cols = cols
    row.alloc = alloc
    if (row.state === 'clean') row.state = 'dirty'
    this.remember(cache, clusterId, id, alloc)
  }

  override async deleteService (): Promise<void> { unsupported('deleting a service') }
  override async listServices (): Promise<Service[]> { return unsupported('listing services') }

  // --- the writes -----------------------------------------------------------------------------------
  /**
   * Writes every staged change (call once, inside the transaction, before it commits): per kind one
   * multi-row UPDATE for the rows that existed, one multi-row INSERT for the new ones (split only by
   * the parameter limit), then the allocation rows of everything written.
   */
  async commit (): Promise<void> {
    const clusterId = this.#clusterId
    const db = this.db

    // nodes: pods and allocations do not refer to node rows, so no ids are needed back
    const nodes = [...this.#nodesById.values()]
    const nodeValues = (n: NodeRow): Value[] => [n.cols.name, n.cols.resourceVersion, n.cols.podCIDR, n.cols.internalIP, n.lastPodIP, n.cols.object]
    await updateRows(db, 'Node', NODE_COLUMNS, nodes.filter(n => n.state === 'dirty').map(n => [n.id, ...nodeValues(n)]))
    await updateRows(db, 'Node', ['lastPodIP'], nodes.filter(n => n.state === 'clean' && n.lastPodIPChanged).map(n => [n.id, n.lastPodIP]))
    await insertRows(db, 'Node', ['clusterId', ...NODE_COLUMNS], nodes.filter(n => n.state === 'new').map(n => [clusterId, ...nodeValues(n)]))

    // services: rewritten ones lose their allocation rows, new ones get ids; then every allocation row
    const services = [...this.#servicesById.values()]
    const serviceValues = (s: ServiceRow): Value[] => [s.cols.namespace, s.cols.name, s.cols.resourceVersion, s.cols.type, s.cols.clusterIP, s.cols.object]
    const dirtyServices = services.filter(s => s.state === 'dirty')
    await updateRows(db, 'Service', SERVICE_COLUMNS, dirtyServices.map(s => [s.id, ...serviceValues(s)]))
    await deleteWhereIn(db, 'NodePortAllocation', 'serviceId', dirtyServices.map(s => s.id))
    await deleteWhereIn(db, 'ClusterIPAllocation', 'serviceId', dirtyServices.map(s => s.id))
    const newServices = services.filter(s => s.state === 'new')
    const serviceIds = await insertReturningIds(db, 'Service', SERVICE_COLUMNS, newServices.map(s => [clusterId, ...serviceValues(s)]))
    const cache = newServices.length > 0 ? await this.allocations(clusterId) : undefined
    for (const s of newServices) {
      const real = idOf(serviceIds, 'service', s.cols)
      // the allocation cache knew the service by its temporary id
      for (const p of s.alloc?.nodePorts ?? []) cache?.ports.set(p.port, real)
      for (const ip of s.alloc?.clusterIPs ?? []) cache?.ips.set(ip, real)
      s.id = real
    }
    const written = [...dirtyServices, ...newServices]
    await insertRows(db, 'NodePortAllocation', ['clusterId', 'serviceId', 'port', 'protocols', 'field'],
      written.flatMap(s => (s.alloc?.nodePorts ?? []).map(p => [clusterId, s.id, p.port, p.protocols.join(','), p.field])))
    await insertRows(db, 'ClusterIPAllocation', ['clusterId', 'serviceId', 'ip'],
      written.flatMap(s => (s.alloc?.clusterIPs ?? []).map(ip => [clusterId, s.id, ip])))

    // pods: the same order; then the IP rows of every inserted or rewritten pod
    const pods = [...this.#podsById.values()]
    const podValues = (p: PodRow): Value[] => [p.cols.namespace, p.cols.name, p.cols.resourceVersion, p.cols.nodeName, p.cols.podIP, p.cols.hostNetwork ? 1 : 0, p.cols.object]
    const dirtyPods = pods.filter(p => p.state === 'dirty')
    await updateRows(db, 'Pod', POD_COLUMNS, dirtyPods.map(p => [p.id, ...podValues(p)]))
    await deleteWhereIn(db, 'PodIPAllocation', 'podId', dirtyPods.map(p => p.id))
    const newPods = pods.filter(p => p.state === 'new')
    const podIds = await insertReturningIds(db, 'Pod', POD_COLUMNS, newPods.map(p => [clusterId, ...podValues(p)]))
    for (const p of newPods) p.id = idOf(podIds, 'pod', p.cols)
    const podIPs: Value[][] = []
    for (const p of [...dirtyPods, ...newPods]) {
      const ip = this.#ipOf.get(key(p.cols.namespace, p.cols.name))
      if (ip !== undefined) podIPs.push([clusterId, p.id, ip])
    }
    await insertRows(db, 'PodIPAllocation', ['clusterId', 'podId', 'ip'], podIPs)
  }
}
