/**
 * Pod use cases. The pod IP comes from the node's podCIDR the way CNI host-local hands them out
 * (round robin after the last one given, .1 is the gateway), unless the pod states one; hostNetwork
 * pods take the node's InternalIP. Pod IPs are rows unique per cluster.
 */
import type { Node, Pod } from '../model.ts'
import type { ClusterRecord, Store, WriteContext } from '../../store/index.ts'
import { UniqueViolation } from '../../store/index.ts'
import { alreadyExists, badRequest, conflict, decodePod, defaultPod, invalid, nextPodIP, notFound, validatePod, validatePodUpdate, type FieldError } from './domain.ts'
import { checkKind, requireCluster, sentResourceVersion, settleName, settleNamespace, stampCreate, uniqueErrors } from './common.ts'
import type { ReplaceOptions, WriteOutcome } from './services.ts'
import { checkRoom } from './quota.ts'

function decode (input: unknown, namespace: string): Pod {
  checkKind(input, 'Pod')
  const pod = defaultPod(decodePod(input))
  settleNamespace(pod.metadata, namespace)
  return pod
}

function fail (pod: Pod, errs: FieldError[]): void {
  const all = uniqueErrors(errs)
  if (all.length > 0) throw invalid('Pod', pod.metadata.name, all)
}

const internalIP = (n: Node): string | undefined => n.status.addresses.find(a => a.type === 'InternalIP')?.address

function setIP (pod: Pod, ip: string | undefined): void {
  if (ip === undefined) {
    delete pod.status.podIP
    delete pod.status.podIPs
  } else {
    pod.status.podIP = ip
    pod.status.podIPs = [{ ip }]
  }
}

/** Fills hostIP and podIP from the node (hostNetwork → node IP; else keep/assign from podCIDR). */
async function placePod (ctx: WriteContext, cluster: ClusterRecord, pod: Pod, keepIP?: string): Promise<Node | undefined> {
  const nodeName = pod.spec.nodeName
  if (nodeName === undefined || nodeName === '') return undefined
  const node = await ctx.repo.findNode(cluster.id, nodeName)
  if (node == null) return undefined // no such node: no address (the pod stays as given)
  const hostIP = internalIP(node.object)
  if (hostIP !== undefined) pod.status.hostIP = hostIP
  if (pod.spec.hostNetwork === true) {
    setIP(pod, hostIP)
    return node.object
  }
  const given = pod.status.podIP
  if (given !== undefined && given !== '') return node.object
  if (keepIP !== undefined) {
    setIP(pod, keepIP)
    return node.object
  }
  const cidr = node.object.spec.podCIDR
  if (cidr === undefined || cidr === '') return node.object
  const ip = nextPodIP(cidr, await ctx.repo.usedPodIPs(cluster.id), node.lastPodIP ?? undefined)
  setIP(pod, ip)
  await ctx.repo.setNodeLastPodIP(node.id, ip)
  return node.object
}

async function ipTaken (ctx: WriteContext, cluster: ClusterRecord, pod: Pod, self?: string): Promise<Error | undefined> {
  const ip = pod.status.podIP
  if (ip === undefined || ip === '' || pod.spec.hostNetwork === true) return undefined
  const holder = await ctx.repo.podIPHolder(cluster.id, ip)
  if (holder == null || `${holder.namespace}/${holder.name}` === self) return undefined
  return invalid('Pod', pod.metadata.name, [{ type: 'FieldValueInvalid', field: 'status.podIP', value: ip, detail: `IP is already allocated to pod ${holder.namespace}/${holder.name}` }])
}

async function write (ctx: WriteContext, cluster: ClusterRecord, pod: Pod, id?: number): Promise<void> {
  try {
    if (id == null) await ctx.repo.insertPod(cluster.id, pod)
    else await ctx.repo.updatePod(cluster.id, id, pod)
  } catch (e) {
    if (e instanceof UniqueViolation && e.table === 'Pod') throw alreadyExists('pods', pod.metadata.name)
    if (e instanceof UniqueViolation && e.table === 'PodIPAllocation') {
      throw invalid('Pod', pod.metadata.name, [{ type: 'FieldValueInvalid', field: 'status.podIP', value: pod.status.podIP, detail: 'IP is already allocated' }])
    }
    throw e
  }
}

async function insertPod (ctx: WriteContext, cluster: ClusterRecord, namespace: string, pod: Pod): Promise<Pod> {
  const { repo } = ctx
  if (sentResourceVersion(pod.metadata) !== undefined) throw badRequest('resourceVersion should not be set on objects to be created')
  await stampCreate('Pod', 'pods', pod.metadata, async n => await repo.findPod(cluster.id, namespace, n) != null)
  const node = await placePod(ctx, cluster, pod)
  fail(pod, validatePod(pod, cluster.settings, node))
  await checkRoom(ctx, cluster, 1, { resource: 'pods', name: pod.metadata.name })
  if (await repo.findPod(cluster.id, namespace, pod.metadata.name) != null) throw alreadyExists('pods', pod.metadata.name)
  const taken = await ipTaken(ctx, cluster, pod)
  if (taken !== undefined) throw taken
  pod.metadata.resourceVersion = String(await repo.nextResourceVersion(cluster.id))
  await write(ctx, cluster, pod)
  ctx.changed(cluster)
  return pod
}

export async function createPodTx (ctx: WriteContext, cluster: ClusterRecord, namespace: string, input: unknown): Promise<Pod> {
  return await insertPod(ctx, cluster, namespace, decode(input, namespace))
}

/** PUT with resourceVersion optimistic concurrency; the pod keeps its IP unless it moves node. */
export async function replacePodTx (ctx: WriteContext, cluster: ClusterRecord, namespace: string, name: string, input: unknown, opts: ReplaceOptions = {}): Promise<WriteOutcome<Pod>> {
  const pod = decode(input, namespace)
  settleName(pod.metadata, name)
  const old = await ctx.repo.findPod(cluster.id, namespace, name)
  const sent = sentResourceVersion(pod.metadata)
  if (old == null) {
    if (sent !== undefined && opts.createIgnoresResourceVersion !== true) throw notFound('pods', name)
    delete pod.metadata.resourceVersion
    return { object: await insertPod(ctx, cluster, namespace, pod), created: true }
  }
  if (sent !== undefined && sent !== String(old.resourceVersion)) throw conflict('pods', name)
  pod.metadata.uid = old.object.metadata.uid
  pod.metadata.creationTimestamp = old.object.metadata.creationTimestamp
  const sameNode = (pod.spec.nodeName ?? '') === (old.object.spec.nodeName ?? '') && pod.spec.hostNetwork === old.object.spec.hostNetwork
  const node = await placePod(ctx, cluster, pod, sameNode && old.object.spec.hostNetwork !== true ? old.object.status.podIP : undefined)
  fail(pod, validatePodUpdate(old.object, pod, cluster.settings, node))
  const taken = await ipTaken(ctx, cluster, pod, `${namespace}/${name}`)
  if (taken !== undefined) throw taken
  pod.metadata.resourceVersion = String(await ctx.repo.nextResourceVersion(cluster.id))
  await write(ctx, cluster, pod, old.id)
  ctx.changed(cluster)
  return { object: pod, created: false }
}

export async function deletePodTx (ctx: WriteContext, cluster: ClusterRecord, namespace: string, name: string): Promise<Pod> {
  const old = await ctx.repo.findPod(cluster.id, namespace, name)
  if (old == null) throw notFound('pods', name)
  await ctx.repo.deletePod(old.id)
  await ctx.repo.nextResourceVersion(cluster.id)
  ctx.changed(cluster)
  return old.object
}

export async function createPod (store: Store, cluster: string, namespace: string, input: unknown): Promise<Pod> {
  return await store.write(async ctx => await createPodTx(ctx, await requireCluster(ctx.repo, cluster), namespace, input))
}

export async function replacePod (store: Store, cluster: string, namespace: string, name: string, input: unknown): Promise<WriteOutcome<Pod>> {
  return await store.write(async ctx => await replacePodTx(ctx, await requireCluster(ctx.repo, cluster), namespace, name, input))
}

export async function deletePod (store: Store, cluster: string, namespace: string, name: string): Promise<Pod> {
  return await store.write(async ctx => await deletePodTx(ctx, await requireCluster(ctx.repo, cluster), namespace, name))
}
