/**
 * The per-cluster object cap (KUBENETSIM_MAX_CLUSTER_OBJECTS): nodes + pods + services one cluster may
 * hold, so one user cannot grow a cluster (and the CPU its renders and traces cost) without bound.
 * Checked inside the write transaction, where the API server's ResourceQuota admission would refuse:
 * after validation (a 422 still wins), before the name check and the write. The answer is the
 * quota's: 403 Forbidden `exceeded quota: ...`. Updates of existing objects are never refused.
 */
import type { ClusterRecord, WriteContext } from '../../store/index.ts'
import { StatusError, type KubeStatus } from './domain.ts'

const QUOTA = 'kubenetsim-max-cluster-objects'

function exceeded (subject: string, name: string, kind: string | undefined, requested: number, used: number, limit: number): StatusError {
  const message = `${subject} is forbidden: exceeded quota: ${QUOTA}, requested: objects=${requested}, used: objects=${used}, limited: objects=${limit} ` +
    '(nodes + pods + services per cluster, KUBENETSIM_MAX_CLUSTER_OBJECTS)'
  const details: NonNullable<KubeStatus['details']> = { name }
  if (kind !== undefined) details.kind = kind
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 })
}

/** Before creating `requested` objects: used + requested above the cap → 403 (nothing written). */
export async function checkRoom (ctx: WriteContext, cluster: ClusterRecord, requested: number, subject: { resource: string, name: string } | 'manifest', used?: number): Promise<void> {
  const limit = ctx.maxClusterObjects ?? 0
  if (limit <= 0 || requested <= 0) return
  const n = used ?? await ctx.repo.countObjects(cluster.id)
  if (n + requested <= limit) return
  if (subject === 'manifest') throw exceeded('the manifest', '', undefined, requested, n, limit)
  throw exceeded(`${subject.resource} ${JSON.stringify(subject.name)}`, subject.name, subject.resource, requested, n, limit)
}
