/**
 * `kubectl apply`-like: a multi-document YAML or a JSON List; each object is created, or replaced when
 * it exists (with its resourceVersion checked if it carries one). All in ONE transaction: one bad
 * document and nothing is written; the error names the document.
 */
import { StagedRepo, type ClusterRecord, type Store, type WriteContext } from '../../store/index.ts'
import { badRequest, parseManifests, statusError, StatusError, type ManifestObject } from './domain.ts'
import { requireCluster } from './common.ts'
import { checkRoom } from './quota.ts'
import { createNodeTx, replaceNodeTx } from './nodes.ts'
import { createPodTx, replacePodTx } from './pods.ts'
import { createServiceTx, replaceServiceTx } from './services.ts'

export interface AppliedObject {
  /** 1-based document number in the request */
  document: number
  kind: string
  namespace?: string
  name: string
  action: 'created' | 'configured'
}

export interface ApplyResult {
  kind: 'List'
  apiVersion: 'v1'
  metadata: { resourceVersion: string }
  items: unknown[]
  results: AppliedObject[]
}

export interface ApplyOptions {
  /** most objects accepted in one request (413 beyond) */
  maxObjects?: number
}

export const DEFAULT_MAX_MANIFEST_OBJECTS = 10_000

/** Nodes first, then Services, then Pods (a pod finds its node's podCIDR even if listed before it). */
const ORDER: Record<string, number> = { Node: 0, Service: 1, Pod: 2 }

function describe (m: ManifestObject): { kind: string, namespace?: string, name: string } {
  const meta = (m.obj.metadata ?? {}) as Record<string, unknown>
  const kind = typeof m.obj.kind === 'string' ? m.obj.kind : ''
  const name = typeof meta.name === 'string' ? meta.name : (typeof meta.generateName === 'string' ? meta.generateName : '')
  const namespace = kind === 'Node' ? undefined : (typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default')
  return { kind, namespace, name }
}

function label (m: ManifestObject): string {
  const d = describe(m)
  return `document ${m.doc + 1} (${d.kind === '' ? 'object' : d.kind} ${JSON.stringify(d.namespace === undefined ? d.name : `${d.namespace}/${d.name}`)})`
}

/** Re-throws a StatusError with the document named first in its message; details (causes) are kept. */
function naming (m: ManifestObject, e: unknown): unknown {
  if (!(e instanceof StatusError)) return e
  const s = e.status
  return new StatusError({ ...s, message: `error when applying ${label(m)}: ${s.message}` })
}

async function applyOne (ctx: WriteContext, cluster: ClusterRecord, m: ManifestObject): Promise<{ object: unknown, created: boolean }> {
  const { kind, namespace, name } = describe(m)
  const obj = structuredClone(m.obj)
  const apiVersion = obj.apiVersion
  if (kind === '' || !(kind in ORDER) || (apiVersion !== undefined && apiVersion !== 'v1')) {
    throw badRequest(`no matches for kind ${JSON.stringify(kind)} in version ${JSON.stringify(String(apiVersion ?? ''))}: supported kinds are v1 Node, Service and Pod`)
  }
  if (name === '') throw statusError(422, 'Invalid', `${kind} "" is invalid: metadata.name: Required value: name or generateName is required`)
  const meta = (obj.metadata ?? {}) as Record<string, unknown>
  if (typeof meta.name !== 'string' || meta.name === '') {
    // generateName: always a new object
    delete meta.resourceVersion
    if (kind === 'Node') return { object: await createNodeTx(ctx, cluster, obj), created: true }
    if (kind === 'Pod') return { object: await createPodTx(ctx, cluster, namespace ?? 'default', obj), created: true }
    return { object: await createServiceTx(ctx, cluster, namespace ?? 'default', obj), created: true }
  }
  const opts = { createIgnoresResourceVersion: true }
  if (kind === 'Node') return await replaceNodeTx(ctx, cluster, name, obj, opts)
  if (kind === 'Pod') return await replacePodTx(ctx, cluster, namespace ?? 'default', name, obj, opts)
  return await replaceServiceTx(ctx, cluster, namespace ?? 'default', name, obj, opts)
}

/** The namespaced objects a manifest names (generateName ones have no name yet), for one read up front. */
function named (objects: ManifestObject[]): { pods: Array<[string, string]>, services: Array<[string, string]> } {
  const pods: Array<[string, string]> = []
  const services: Array<[string, string]> = []
  for (const m of objects) {
    const meta = m.obj.metadata as Record<string, unknown> | undefined
    if (typeof meta?.name !== 'string' || meta.name === '') continue
    const d = describe(m)
    if (d.kind === 'Pod') pods.push([d.namespace ?? 'default', d.name])
    else if (d.kind === 'Service') services.push([d.namespace ?? 'default', d.name])
  }
  return { pods, services }
}

/**
 * Applies documents inside an open write (for composing, e.g. the demo seeding). The use cases run
 * one document at a time, as single requests would, but against a staged repository: the cluster's
 * rows are read once and everything is written at the end in a few statements per kind.
 */
export async function applyManifestObjectsTx (ctx: WriteContext, cluster: ClusterRecord, objects: ManifestObject[], opts: { staged?: boolean } = {}): Promise<ApplyResult> {
  const sorted = objects
    .map((m, i) => ({ m, i, order: ORDER[describe(m).kind] ?? 9 }))
    .sort((a, b) => (a.order - b.order) || a.i - b.i)
  // staged: false runs every document straight against the transaction (the reference the tests hold the staged path to)
  const staged = opts.staged === false ? undefined : new StagedRepo(ctx.repo, cluster.id)
  await staged?.prefetch(named(objects))
  // the object cap is checked once for the whole manifest (below), not per document
  const used = (ctx.maxClusterObjects ?? 0) > 0 ? await ctx.repo.countObjects(cluster.id) : 0
  const sctx: WriteContext = { repo: staged ?? ctx.repo, changed: ctx.changed }
  const out: Array<{ i: number, object: unknown, result: AppliedObject }> = []
  for (const { m, i } of sorted) {
    try {
      const r = await applyOne(sctx, cluster, m)
      const o = r.object as { kind: string, metadata: { name: string, namespace?: string } }
      out.push({ i, object: r.object, result: { document: m.doc + 1, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, action: r.created ? 'created' : 'configured' } })
    } catch (e) {
      throw naming(m, e)
    }
  }
  // a manifest that would cross the cap is refused whole, before its rows are written
  await checkRoom(ctx, cluster, out.filter(o => o.result.action === 'created').length, 'manifest', used)
  await staged?.commit()
  out.sort((a, b) => a.i - b.i)
  const rv = await ctx.repo.currentResourceVersion(cluster.id)
  return { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items: out.map(o => o.object), results: out.map(o => o.result) }
}

export async function applyManifests (store: Store, cluster: string, text: string, contentType: 'yaml' | 'json', opts: ApplyOptions = {}): Promise<ApplyResult> {
  const objects = parseManifests(text, contentType)
  const max = opts.maxObjects ?? DEFAULT_MAX_MANIFEST_OBJECTS
  if (objects.length > max) throw statusError(413, 'RequestEntityTooLarge', `Request entity too large: the manifest holds ${objects.length} objects, the limit is ${max}`)
  return await store.write(async ctx => await applyManifestObjectsTx(ctx, await requireCluster(ctx.repo, cluster), objects))
}
