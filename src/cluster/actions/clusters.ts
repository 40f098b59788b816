/** Cluster use cases: create (with defaults), list, get, delete (cascades to everything in it). */
import type { ClusterSettings, KubeProxySettings } from '../model.ts'
import type { ClusterRecord, Store, WriteContext } from '../../store/index.ts'
import { UniqueViolation } from '../../store/index.ts'
import { issueTokensTx, type ClusterTokens } from '../../store/tokens.ts'
import { alreadyExists, defaultClusterSettings, invalid, notFound, nodePortRangeText, validateClusterSettings, type DeepPartial, type FieldError } from './domain.ts'
import { env } from './common.ts'

export const CLUSTER_API_VERSION = 'kubenetsim.io/v1'

export interface ClusterSpec {
  serviceCIDR: string
  clusterCIDR: string
  /** `--service-node-port-range` syntax: `30000-32767` */
  nodePortRange: string
  kubeProxy: KubeProxySettings
}

export interface ClusterObject {
  apiVersion: typeof CLUSTER_API_VERSION
  kind: 'Cluster'
  metadata: { name: string, uid: string, creationTimestamp: string, resourceVersion: string }
  spec: ClusterSpec
}

export interface ClusterInput {
  apiVersion?: string
  kind?: string
  metadata: { name: string }
  spec?: Partial<Omit<ClusterSpec, 'kubeProxy'>> & { kubeProxy?: Partial<KubeProxySettings> }
}

export function clusterObject (c: ClusterRecord): ClusterObject {
  return {
    apiVersion: CLUSTER_API_VERSION,
    kind: 'Cluster',
    metadata: { name: c.name, uid: c.uid, creationTimestamp: c.creationTimestamp, resourceVersion: String(c.resourceVersion) },
    spec: {
      serviceCIDR: c.settings.serviceCIDR,
      clusterCIDR: c.settings.clusterCIDR,
      nodePortRange: nodePortRangeText(c.settings),
      kubeProxy: c.settings.kubeProxy
    }
  }
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** Applies defaults and validates; throws the 422 naming every bad field. */
export function clusterSettingsFrom (input: ClusterInput): ClusterSettings {
  const name = input.metadata?.name ?? ''
  const errs: FieldError[] = []
  if (name === '') errs.push({ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' })
  else if (name.length > 63 || !NAME_RE.test(name)) {
    errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', value: name, detail: "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')" })
  }
  const partial: DeepPartial<ClusterSettings> & { name: string } = { name }
  const spec = input.spec ?? {}
  if (spec.serviceCIDR !== undefined) partial.serviceCIDR = spec.serviceCIDR
  if (spec.clusterCIDR !== undefined) partial.clusterCIDR = spec.clusterCIDR
  if (spec.kubeProxy !== undefined) partial.kubeProxy = spec.kubeProxy
  if (spec.nodePortRange !== undefined) {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(spec.nodePortRange)
    if (m == null) errs.push({ type: 'FieldValueInvalid', field: 'spec.nodePortRange', value: spec.nodePortRange, detail: 'must be a port range like 30000-32767' })
    else partial.nodePortRange = { min: Number(m[1]), max: Number(m[2]) }
  }
  const settings = defaultClusterSettings(partial)
  errs.push(...validateClusterSettings(settings))
  if (errs.length > 0) throw invalid('Cluster', name, errs, 'kubenetsim.io')
  return settings
}

/** Creates the cluster row inside an open write (the demo seeding composes it with more writes). */
export async function createClusterTx (ctx: WriteContext, input: ClusterInput): Promise<ClusterRecord> {
  const settings = clusterSettingsFrom(input)
  if (await ctx.repo.findCluster(settings.name) != null) throw alreadyExists('clusters', settings.name, 'kubenetsim.io')
  let rec: ClusterRecord
  try {
    rec = await ctx.repo.createCluster(settings, env.uid(), new Date(Math.floor(env.now().getTime() / 1000) * 1000))
  } catch (e) {
    if (e instanceof UniqueViolation) throw alreadyExists('clusters', settings.name, 'kubenetsim.io')
    throw e
  }
  ctx.changed(rec)
  return rec
}

export async function createCluster (store: Store, input: ClusterInput): Promise<ClusterObject> {
  return clusterObject(await store.write(async ctx => await createClusterTx(ctx, input)))
}

/**
 * Creates the cluster and its read-write and read-only access tokens in one transaction. The tokens
 * are returned in clear only here (the store keeps their hashes); REST and GraphQL both create through this.
 */
export async function createClusterWithTokens (store: Store, input: ClusterInput): Promise<{ cluster: ClusterObject, tokens: ClusterTokens }> {
  const { rec, tokens } = await store.write(async ctx => {
    const rec = await createClusterTx(ctx, input)
    return { rec, tokens: await issueTokensTx(ctx.repo, rec.id) }
  })
  return { cluster: clusterObject(rec), tokens }
}

export async function listClusters (store: Store): Promise<ClusterObject[]> {
  return (await store.read(async repo => await repo.listClusters())).map(clusterObject)
}

export async function getCluster (store: Store, name: string): Promise<ClusterObject> {
  const rec = await store.read(async repo => await repo.findCluster(name))
  if (rec == null) throw notFound('clusters', name, 'kubenetsim.io')
  return clusterObject(rec)
}

/** Deletes the cluster and, by cascade, its nodes, pods, services and allocations. Returns what was deleted. */
export async function deleteCluster (store: Store, name: string): Promise<ClusterObject> {
  return await store.write(async ctx => {
    const rec = await ctx.repo.findCluster(name)
    if (rec == null) throw notFound('clusters', name, 'kubenetsim.io')
    await ctx.repo.deleteCluster(rec.id)
    ctx.changed(rec, true)
    return clusterObject(rec)
  })
}
