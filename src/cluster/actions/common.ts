/** Helpers shared by the use cases: metadata stamping, names, lookups that 404. */
import { randomUUID } from 'node:crypto'
import type { ObjectMeta } from '../model.ts'
import type { ClusterRecord, Repo } from '../../store/index.ts'
import { alreadyExistsGenerated, badRequest, generateName, invalid, notFound, type FieldError } from './domain.ts'

/** Randomness used for allocation and generated names; tests may replace it. */
export const env = {
  random: Math.random,
  now: (): Date => new Date(),
  uid: (): string => randomUUID()
}

/** RFC 3339 UTC with seconds, as the API server writes creationTimestamp. */
export function timestamp (d: Date = env.now()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** The cluster (id and settings; its resourceVersion may be stale) or the 404. */
export async function requireCluster (repo: Repo, name: string): Promise<ClusterRecord> {
  const c = await repo.findClusterCached(name)
  if (c == null) throw notFound('clusters', name, 'kubenetsim.io')
  return c
}

/** Namespaced objects take the URL's namespace; a different one in the body is a 400 like the API server's. */
export function settleNamespace (meta: ObjectMeta, namespace: string | undefined): void {
  if (namespace === undefined) {
    if (meta.namespace !== undefined && meta.namespace !== '') {
      delete meta.namespace // cluster-scoped objects drop it, as the API server does
    }
    return
  }
  if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
  }
  meta.namespace = namespace
}

/** PUT: the body's name must be the URL's. */
export function settleName (meta: ObjectMeta, name: string): void {
  if (meta.name === undefined || meta.name === '') meta.name = name
  if (meta.name !== name) throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`)
}

/**
 * Create: expands generateName (5 random characters, retried on collision like the registry), stamps
 * uid and creationTimestamp. A missing name with no generateName is the API server's 422.
 */
export async function stampCreate (kind: string, resource: string, meta: ObjectMeta, exists: (name: string) => Promise<boolean>): Promise<void> {
  if ((meta.name === undefined || meta.name === '') && meta.generateName !== undefined && meta.generateName !== '') {
    let name = ''
    for (let i = 0; i < 8; i++) {
      name = generateName(meta.generateName, env.random)
      if (!await exists(name)) break
      if (i === 7) throw alreadyExistsGenerated(resource, name)
    }
    meta.name = name
  }
  if (meta.name === undefined || meta.name === '') {
    throw invalid(kind, '', [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }])
  }
  meta.uid = env.uid()
  meta.creationTimestamp = timestamp()
}

/** Keeps cause order, drops exact duplicates (several validators may report the same field). */
export function uniqueErrors (errs: FieldError[]): FieldError[] {
  const seen = new Set<string>()
  return errs.filter(e => {
    const k = `${e.type}|${e.field}|${JSON.stringify(e.value)}|${e.detail}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

/** An object's resourceVersion from the body, when the client sent one. */
export function sentResourceVersion (meta: ObjectMeta): string | undefined {
  const v = meta.resourceVersion
  return v === undefined || v === '' ? undefined : v
}

export function checkKind (input: unknown, kind: string, apiVersion = 'v1'): void {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw badRequest(`${kind} in version "${apiVersion}" cannot be handled as a ${kind}: the body must be a JSON or YAML object`)
  }
  const o = input as Record<string, unknown>
  if (o.kind !== undefined && o.kind !== '' && o.kind !== kind) {
    throw badRequest(`${kind} in version "${apiVersion}" cannot be handled as a ${kind}: the object's kind ${JSON.stringify(o.kind)} is not ${JSON.stringify(kind)}`)
  }
  if (o.apiVersion !== undefined && o.apiVersion !== '' && o.apiVersion !== apiVersion) {
    throw badRequest(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${apiVersion})`)
  }
}
