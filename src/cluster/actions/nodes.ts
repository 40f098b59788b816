/** Node use cases. podCIDR comes from the cluster CIDR as sequential /24s unless the node names one. */
import type { Node } from '../model.ts'
import type { ClusterRecord, Store, WriteContext } from '../../store/index.ts'
import { UniqueViolation } from '../../store/index.ts'
import { alreadyExists, badRequest, conflict, decodeNode, defaultNode, invalid, nextPodCIDR, notFound, validateNode, validateNodeUpdate, type FieldError } from './domain.ts'
import { checkKind, requireCluster, sentResourceVersion, settleName, settleNamespace, stampCreate, uniqueErrors } from './common.ts'
import type { ReplaceOptions, WriteOutcome } from './services.ts'
import { checkRoom } from './quota.ts'

function decode (input: unknown): Node {
  checkKind(input, 'Node')
  const node = defaultNode(decodeNode(input))
  settleNamespace(node.metadata, undefined)
  return node
}

function fail (node: Node, errs: FieldError[]): void {
  const all = uniqueErrors(errs)
  if (all.length > 0) throw invalid('Node', node.metadata.name, all)
}

async function podCIDRHolder (ctx: WriteContext, cluster: ClusterRecord, cidr: string, self: string): Promise<string | undefined> {
  const nodes = await ctx.repo.listNodes(cluster.id)
  return nodes.find(n => n.spec.podCIDR === cidr && n.metadata.name !== self)?.metadata.name
}

function cidrTaken (node: Node, holder: string): Error {
  return invalid('Node', node.metadata.name, [{ type: 'FieldValueInvalid', field: 'spec.podCIDR', value: node.spec.podCIDR, detail: `podCIDR is already assigned to node "${holder}"` }])
}

async function write (ctx: WriteContext, cluster: ClusterRecord, node: Node, id?: number): Promise<void> {
  try {
    if (id == null) await ctx.repo.insertNode(cluster.id, node)
    else await ctx.repo.updateNode(id, node)
  } catch (e) {
    if (e instanceof UniqueViolation && e.table === 'Node' && e.fields.includes('podCIDR')) {
      throw cidrTaken(node, await podCIDRHolder(ctx, cluster, node.spec.podCIDR ?? '', node.metadata.name) ?? '?')
    }
    if (e instanceof UniqueViolation && e.table === 'Node') throw alreadyExists('nodes', node.metadata.name)
    throw e
  }
}

async function insertNode (ctx: WriteContext, cluster: ClusterRecord, node: Node): Promise<Node> {
  const { repo } = ctx
  if (sentResourceVersion(node.metadata) !== undefined) throw badRequest('resourceVersion should not be set on objects to be created')
  await stampCreate('Node', 'nodes', node.metadata, async n => await repo.findNode(cluster.id, n) != null)
  if (node.spec.podCIDR === undefined || node.spec.podCIDR === '') {
    const cidr = nextPodCIDR(cluster.settings.clusterCIDR, await repo.usedPodCIDRs(cluster.id))
    node.spec.podCIDR = cidr
    node.spec.podCIDRs = [cidr]
  }
  fail(node, validateNode(node, cluster.settings))
  await checkRoom(ctx, cluster, 1, { resource: 'nodes', name: node.metadata.name })
  if (await repo.findNode(cluster.id, node.metadata.name) != null) throw alreadyExists('nodes', node.metadata.name)
  const holder = await podCIDRHolder(ctx, cluster, node.spec.podCIDR, node.metadata.name)
  if (holder !== undefined) throw cidrTaken(node, holder)
  node.metadata.resourceVersion = String(await repo.nextResourceVersion(cluster.id))
  await write(ctx, cluster, node)
  ctx.changed(cluster)
  return node
}

export async function createNodeTx (ctx: WriteContext, cluster: ClusterRecord, input: unknown): Promise<Node> {
  return await insertNode(ctx, cluster, decode(input))
}

/** PUT with resourceVersion optimistic concurrency; podCIDR is kept when the body omits it. */
export async function replaceNodeTx (ctx: WriteContext, cluster: ClusterRecord, name: string, input: unknown, opts: ReplaceOptions = {}): Promise<WriteOutcome<Node>> {
  const node = decode(input)
  settleName(node.metadata, name)
  const old = await ctx.repo.findNode(cluster.id, name)
  const sent = sentResourceVersion(node.metadata)
  if (old == null) {
    if (sent !== undefined && opts.createIgnoresResourceVersion !== true) throw notFound('nodes', name)
    delete node.metadata.resourceVersion
    return { object: await insertNode(ctx, cluster, node), created: true }
  }
  if (sent !== undefined && sent !== String(old.resourceVersion)) throw conflict('nodes', name)
  node.metadata.uid = old.object.metadata.uid
  node.metadata.creationTimestamp = old.object.metadata.creationTimestamp
  if (node.spec.podCIDR === undefined || node.spec.podCIDR === '') {
    node.spec.podCIDR = old.object.spec.podCIDR
    node.spec.podCIDRs = old.object.spec.podCIDRs
  }
  fail(node, validateNodeUpdate(old.object, node, cluster.settings))
  const holder = node.spec.podCIDR === undefined ? undefined : await podCIDRHolder(ctx, cluster, node.spec.podCIDR, name)
  if (holder !== undefined) throw cidrTaken(node, holder)
  node.metadata.resourceVersion = String(await ctx.repo.nextResourceVersion(cluster.id))
  await write(ctx, cluster, node, old.id)
  ctx.changed(cluster)
  return { object: node, created: false }
}

/** Deleting a node leaves its pods in place (as in Kubernetes, where the pod GC would act later). */
export async function deleteNodeTx (ctx: WriteContext, cluster: ClusterRecord, name: string): Promise<Node> {
  const old = await ctx.repo.findNode(cluster.id, name)
  if (old == null) throw notFound('nodes', name)
  await ctx.repo.deleteNode(old.id)
  await ctx.repo.nextResourceVersion(cluster.id)
  ctx.changed(cluster)
  return old.object
}

export async function createNode (store: Store, cluster: string, input: unknown): Promise<Node> {
  return await store.write(async ctx => await createNodeTx(ctx, await requireCluster(ctx.repo, cluster), input))
}

export async function replaceNode (store: Store, cluster: string, name: string, input: unknown): Promise<WriteOutcome<Node>> {
  return await store.write(async ctx => await replaceNodeTx(ctx, await requireCluster(ctx.repo, cluster), name, input))
}

export async function deleteNode (store: Store, cluster: string, name: string): Promise<Node> {
  return await store.write(async ctx => await deleteNodeTx(ctx, await requireCluster(ctx.repo, cluster), name))
}
