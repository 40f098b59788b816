/**
 * Service use cases. Order as the API server's registry: decode + default → allocation (clusterIP,
 * nodePorts, healthCheckNodePort; errors here win) → validation (one 422 with every cause) → name
 * check (409) → write. Allocations are rows written in the same transaction as the Service, so any
 * failure rolls them back, and the database's unique (cluster, port) / (cluster, ip) is the last guard.
 */
import type { Service } from '../model.ts'
import type { AllocationRows, ClusterRecord, Store, WriteContext } from '../../store/index.ts'
import { UniqueViolation } from '../../store/index.ts'
import {
  alreadyExists, badRequest, conflict, decodeService, internalError, defaultService, invalid, notFound, planAllocation,
  validateService, validateServiceUpdate, type AllocationPlan, type FieldError
} from './domain.ts'
import { checkRoom } from './quota.ts'
import { checkKind, env, requireCluster, sentResourceVersion, settleName, settleNamespace, stampCreate, uniqueErrors } from './common.ts'

export type WriteOutcome<T> = { object: T, created: boolean }

export interface ReplaceOptions {
  /** apply semantics: a resourceVersion on an object that does not exist yet is ignored (not a 404) */
  createIgnoresResourceVersion?: boolean
}

function decode (input: unknown, namespace: string): Service {
  checkKind(input, 'Service')
  const svc = defaultService(decodeService(input))
  settleNamespace(svc.metadata, namespace)
  return svc
}

function allocationRows (plan: AllocationPlan): AllocationRows {
  return { nodePorts: plan.nodePorts.map(p => ({ port: p.port, protocols: [...p.protocols], field: p.field })), clusterIPs: [...plan.clusterIPs] }
}

/** What the API server answers when a VIP or port it checked turned out taken (the database's guard). */
function allocationConflict (svc: Service, plan: AllocationPlan, e: UniqueViolation, used: { ports: ReadonlySet<number>, ips: ReadonlySet<string> }): Error {
  const name = svc.metadata.name
  if (e.table === 'NodePortAllocation') {
    const p = plan.nodePorts.find(x => used.ports.has(x.port)) ?? plan.nodePorts[0]
    if (p.field === 'spec.healthCheckNodePort') {
      return internalError(`failed to allocate requested HealthCheck NodePort ${p.port}: provided port is already allocated`)
    }
    return invalid('Service', name, [{ type: 'FieldValueInvalid', field: p.field, value: p.port, detail: 'provided port is already allocated' }])
  }
  if (e.table === 'ClusterIPAllocation') {
    const ip = plan.clusterIPs.find(x => used.ips.has(x)) ?? plan.clusterIPs[0]
    return invalid('Service', name, [{ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: plan.clusterIPs, detail: `failed to allocate IP ${ip}: provided IP is already allocated` }])
  }
  if (e.table === 'Service') return alreadyExists('services', name)
  return e
}

function validationErrors (errs: FieldError[], svc: Service): void {
  const all = uniqueErrors(errs)
  if (all.length > 0) throw invalid('Service', svc.metadata.name, all)
}

export async function createServiceTx (ctx: WriteContext, cluster: ClusterRecord, namespace: string, input: unknown): Promise<Service> {
  return await insertService(ctx, cluster, namespace, decode(input, namespace))
}

async function insertService (ctx: WriteContext, cluster: ClusterRecord, namespace: string, svc: Service): Promise<Service> {
  const { repo } = ctx
  if (sentResourceVersion(svc.metadata) !== undefined) {
    throw badRequest('resourceVersion should not be set on objects to be created')
  }
  await stampCreate('Service', 'services', svc.metadata, async n => await repo.findService(cluster.id, namespace, n) != null)
  const used = { ports: await repo.usedNodePorts(cluster.id), ips: await repo.usedClusterIPs(cluster.id) }
  const plan = planAllocation({ svc, settings: cluster.settings, usedNodePorts: used.ports, usedClusterIPs: used.ips, random: env.random })
  const out = plan.svc
  validationErrors(validateService(out, cluster.settings), out)
  await checkRoom(ctx, cluster, 1, { resource: 'services', name: out.metadata.name })
  // an existing name is found by the insert below (unique (cluster, namespace, name)) → 409
  out.metadata.resourceVersion = String(await repo.nextResourceVersion(cluster.id))
  try {
    await repo.insertService(cluster.id, out, allocationRows(plan))
  } catch (e) {
    if (e instanceof UniqueViolation) throw allocationConflict(out, plan, e, used)
    throw e
  }
  ctx.changed(cluster)
  return out
}

/**
 * PUT. A stale `metadata.resourceVersion` is a 409 Conflict; none means last write wins; a missing
 * Service is created (Services allow create-on-update).
 */
export async function replaceServiceTx (ctx: WriteContext, cluster: ClusterRecord, namespace: string, name: string, input: unknown, opts: ReplaceOptions = {}): Promise<WriteOutcome<Service>> {
  const { repo } = ctx
  const svc = decode(input, namespace)
  settleName(svc.metadata, name)
  const old = await repo.findService(cluster.id, namespace, name)
  const sent = sentResourceVersion(svc.metadata)
  if (old == null) {
    if (sent !== undefined && opts.createIgnoresResourceVersion !== true) throw notFound('services', name)
    delete svc.metadata.resourceVersion
    return { object: await insertService(ctx, cluster, namespace, svc), created: true }
  }
  if (sent !== undefined && sent !== String(old.resourceVersion)) throw conflict('services', name)
  svc.metadata.uid = old.object.metadata.uid
  svc.metadata.creationTimestamp = old.object.metadata.creationTimestamp
  const used = { ports: await repo.usedNodePorts(cluster.id), ips: await repo.usedClusterIPs(cluster.id) }
  const plan = planAllocation({ svc, old: old.object, settings: cluster.settings, usedNodePorts: used.ports, usedClusterIPs: used.ips, random: env.random })
  const out = plan.svc
  validationErrors(validateServiceUpdate(old.object, out, cluster.settings), out)
  out.metadata.resourceVersion = String(await repo.nextResourceVersion(cluster.id))
  try {
    await repo.updateService(cluster.id, old.id, out, allocationRows(plan))
  } catch (e) {
    if (e instanceof UniqueViolation) throw allocationConflict(out, plan, e, used)
    throw e
  }
  ctx.changed(cluster)
  return { object: out, created: false }
}

export async function deleteServiceTx (ctx: WriteContext, cluster: ClusterRecord, namespace: string, name: string): Promise<Service> {
  const old = await ctx.repo.findService(cluster.id, namespace, name)
  if (old == null) throw notFound('services', name)
  await ctx.repo.deleteService(cluster.id, old.id) // allocation rows go with it
  await ctx.repo.nextResourceVersion(cluster.id)
  ctx.changed(cluster)
  return old.object
}

export async function createService (store: Store, cluster: string, namespace: string, input: unknown): Promise<Service> {
  return await store.write(async ctx => await createServiceTx(ctx, await requireCluster(ctx.repo, cluster), namespace, input))
}

export async function replaceService (store: Store, cluster: string, namespace: string, name: string, input: unknown): Promise<WriteOutcome<Service>> {
  return await store.write(async ctx => await replaceServiceTx(ctx, await requireCluster(ctx.repo, cluster), namespace, name, input))
}

export async function deleteService (store: Store, cluster: string, namespace: string, name: string): Promise<Service> {
  return await store.write(async ctx => await deleteServiceTx(ctx, await requireCluster(ctx.repo, cluster), namespace, name))
}
