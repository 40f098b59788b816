/**
 * Reads. Everything comes from the store's per-generation snapshot (parsed once, cached until the
 * cluster changes), so repeated reads cost no query; derived data (EndpointSlices) is memoized on it.
 */
import type { EndpointSlice, Node, Pod, Service } from '../model.ts'
import { memo, type ClusterSnapshot, type NodePortRow, type Store } from '../../store/index.ts'
import { deriveAllEndpointSlices } from '../endpoints.ts'
import { notFound } from './domain.ts'

export interface KubeList<T> {
  kind: string
  apiVersion: string
  metadata: { resourceVersion: string }
  items: T[]
}

function list<T> (kind: string, snap: ClusterSnapshot, items: T[], apiVersion = 'v1'): KubeList<T> {
  return { kind, apiVersion, metadata: { resourceVersion: String(snap.cluster.resourceVersion) }, items }
}

/** The cluster's snapshot, or the 404 for a missing cluster. */
export async function clusterSnapshot (store: Store, cluster: string): Promise<ClusterSnapshot> {
  const snap = await store.snapshot(cluster)
  if (snap == null) throw notFound('clusters', cluster, 'kubenetsim.io')
  return snap
}

const inNamespace = <T extends { metadata: { namespace?: string } }>(xs: T[], ns: string): T[] => xs.filter(x => x.metadata.namespace === ns)

function index<T extends { metadata: { namespace?: string, name: string } }> (snap: ClusterSnapshot, key: string, xs: T[]): Map<string, T> {
  return memo(snap, key, () => new Map(xs.map(x => [`${x.metadata.namespace ?? ''}/${x.metadata.name}`, x])))
}

export async function listNodes (store: Store, cluster: string): Promise<KubeList<Node>> {
  const snap = await clusterSnapshot(store, cluster)
  return list('NodeList', snap, snap.nodes)
}

export async function getNode (store: Store, cluster: string, name: string): Promise<Node> {
  const snap = await clusterSnapshot(store, cluster)
  const n = index(snap, 'index:nodes', snap.nodes).get('/' + name)
  if (n == null) throw notFound('nodes', name)
  return n
}

export async function listPods (store: Store, cluster: string, namespace: string): Promise<KubeList<Pod>> {
  const snap = await clusterSnapshot(store, cluster)
  return list('PodList', snap, inNamespace(snap.pods, namespace))
}

export async function getPod (store: Store, cluster: string, namespace: string, name: string): Promise<Pod> {
  const snap = await clusterSnapshot(store, cluster)
  const p = index(snap, 'index:pods', snap.pods).get(`${namespace}/${name}`)
  if (p == null) throw notFound('pods', name)
  return p
}

export async function listServices (store: Store, cluster: string, namespace: string): Promise<KubeList<Service>> {
  const snap = await clusterSnapshot(store, cluster)
  return list('ServiceList', snap, inNamespace(snap.services, namespace))
}

export async function getService (store: Store, cluster: string, namespace: string, name: string): Promise<Service> {
  const snap = await clusterSnapshot(store, cluster)
  const s = index(snap, 'index:services', snap.services).get(`${namespace}/${name}`)
  if (s == null) throw notFound('services', name)
  return s
}

/**
 * Every EndpointSlice of the cluster, derived from services, pods and nodes as the controller does.
 * Computed on read (not stored): they are a pure function of the other objects, so storing them would
 * only add writes on every pod change and a chance to go stale; the snapshot memo makes this once per
 * cluster generation.
 */
export function endpointSlicesOf (snap: ClusterSnapshot): EndpointSlice[] {
  return memo(snap, 'endpointslices', () => deriveAllEndpointSlices(snap.services, snap.pods, snap.nodes))
}

export async function listEndpointSlices (store: Store, cluster: string, namespace: string): Promise<KubeList<EndpointSlice>> {
  const snap = await clusterSnapshot(store, cluster)
  return list('EndpointSliceList', snap, inNamespace(endpointSlicesOf(snap), namespace), 'discovery.k8s.io/v1')
}

export interface NodePortTable {
  kind: 'NodePortAllocationList'
  apiVersion: 'kubenetsim.io/v1'
  metadata: { resourceVersion: string }
  /** nodePort range of the cluster, `30000-32767` */
  range: string
  items: NodePortRow[]
}

/** The NodePort allocation table as stored (which service holds each port), ordered by port. */
export async function listNodePorts (store: Store, cluster: string): Promise<NodePortTable> {
  return await store.read(async repo => {
    const rec = await repo.findCluster(cluster)
    if (rec == null) throw notFound('clusters', cluster, 'kubenetsim.io')
    const items = await repo.listNodePorts(rec.id)
    const r = rec.settings.nodePortRange
    return { kind: 'NodePortAllocationList', apiVersion: 'kubenetsim.io/v1', metadata: { resourceVersion: String(rec.resourceVersion) }, range: `${r.min}-${r.max}`, items }
  })
}
