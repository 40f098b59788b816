/**
 * Access control. With an admin token configured (KUBENETSIM_ADMIN_TOKEN or buildApp `adminToken`),
 * every request but /healthz, /docs and /graphiql must carry `Authorization: Bearer <token>`:
 * - the admin token may do everything; creating, listing and deleting clusters need it;
 * - a cluster's read-write token may read and write inside that cluster (and rotate its tokens);
 * - a cluster's read-only token may only read inside it (GET, and POST .../traces, which computes);
 * - another cluster answers 404 NotFound exactly like a cluster that does not exist;
 * - the standalone engine (/api/v1/netfilter/...) and /graphql take any valid token.
 * Missing or unknown tokens answer 401 Unauthorized, a read-only token on a write 403 Forbidden,
 * both as Kubernetes Status objects. Without an admin token everything is open (one person on a
 * laptop; src/server.ts then listens on 127.0.0.1 only).
 *
 * GraphQL: the same rules per root field (see guardResolvers); nested fields only reach into the
 * cluster of their parent. In-process REST calls made by a resolver (app.inject) run as the
 * GraphQL caller: the principal travels in an AsyncLocalStorage, never in a header.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { timingSafeEqual, createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { StatusError, notFound, statusError } from '../cluster/errors.ts'
import { findTokenOwner, hashToken, type TokenRole } from '../store/tokens.ts'

export type Principal =
  | { kind: 'open' }
  | { kind: 'admin' }
  | { kind: 'cluster', cluster: string, clusterId: number, role: TokenRole }
  | { kind: 'anonymous' }

export interface AuthState {
  /** true when an admin token is configured */
  enabled: boolean
  /** forget cached token owners (after a rotation or a cluster deletion) */
  forget: () => void
  /**
   * Set by the rate limiter (src/api/limits.ts): counts a rejected request against its address;
   * true when that address is over the limit and the 429 was sent instead of the 401.
   */
  rejected?: (req: FastifyRequest, reply: FastifyReply) => Promise<boolean>
}

declare module 'fastify' {
  interface FastifyInstance { auth: AuthState }
  interface FastifyRequest { principal: Principal }
}

export interface AuthOptions { adminToken?: string }

const inherited = new AsyncLocalStorage<Principal>()

/** Runs `fn` so that in-process requests it makes (app.inject) act as `principal`. */
export function runAs<T> (principal: Principal, fn: () => T): T {
  return inherited.run(principal, fn)
}

export const unauthorized = (message = 'Unauthorized: a valid bearer token is required'): StatusError =>
  statusError(401, 'Unauthorized', message)

export const forbidden = (message: string): StatusError => statusError(403, 'Forbidden', message)

const clusterNotFound = (name: string): StatusError => notFound('clusters', name, 'kubenetsim.io')

const PUBLIC = [/^\/healthz$/, /^\/docs(\/|$)/, /^\/graphiql(\/|$)/]

/** POST routes inside a cluster that only compute (a read-only token may call them). */
const READ_POSTS = new Set(['/api/v1/clusters/:cluster/traces'])

const ADMIN_ROUTES = new Set(['POST /api/v1/clusters', 'GET /api/v1/clusters', 'DELETE /api/v1/clusters/:cluster'])

function isWrite (method: string, url: string): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false
  return !(method === 'POST' && READ_POSTS.has(url))
}

/** Throws the Status answering `principal` acting on cluster `name` (write or read); nothing when allowed. */
export function checkCluster (principal: Principal, name: string, write: boolean): void {
  switch (principal.kind) {
    case 'open':
    case 'admin':
      return
    case 'anonymous':
      throw unauthorized()
    case 'cluster':
      if (principal.cluster !== name) throw clusterNotFound(name)
      if (write && principal.role !== 'read-write') throw forbidden(`the read-only token of cluster "${name}" cannot change it`)
  }
}

/** Throws unless `principal` may manage clusters (create, list, delete); `name` is the cluster deleted. */
export function checkAdmin (principal: Principal, what: string, name?: string): void {
  switch (principal.kind) {
    case 'open':
    case 'admin':
      return
    case 'anonymous':
      throw unauthorized()
    case 'cluster':
      if (name !== undefined && principal.cluster !== name) throw clusterNotFound(name)
      throw forbidden(`${what} needs the admin token`)
  }
}

/** Throws unless someone is authenticated. */
export function checkAuthenticated (principal: Principal): void {
  if (principal.kind === 'anonymous') throw unauthorized()
}

function sameSecret (a: string, b: string): boolean {
  // compare digests: constant time and no length leak
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

/** A rate-limit key per caller: the token (hashed) when there is one, else the client address. */
export function callerKey (req: FastifyRequest): string {
  const p = req.principal
  if (p?.kind === 'admin') return 'admin'
  if (p?.kind === 'cluster') return `cluster:${p.clusterId}:${p.role}`
  return `ip:${req.ip}`
}

async function authPlugin (app: FastifyInstance, opts: AuthOptions): Promise<void> {
  const adminToken = opts.adminToken === '' ? undefined : opts.adminToken
  const enabled = adminToken !== undefined
  const owners = new Map<string, Principal | null>()
  const forget = (): void => { owners.clear() }
  const state: AuthState = { enabled, forget }
  app.decorate('auth', state)
  app.decorateRequest('principal', null as never)
  // a deleted cluster's tokens are gone with it (cascade); forget them here too
  app.store.onClusterChanged(c => { if (c.deleted) forget() })

  async function principalOf (req: FastifyRequest): Promise<Principal> {
    if (!enabled) return { kind: 'open' }
    const header = req.headers.authorization
    if (header === undefined) return inherited.getStore() ?? { kind: 'anonymous' }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (m == null) throw unauthorized('Unauthorized: the Authorization header must be "Bearer <token>"')
    const token = m[1]
    if (sameSecret(token, adminToken)) return { kind: 'admin' }
    const key = hashToken(token)
    let p = owners.get(key)
    if (p === undefined) {
      const o = await findTokenOwner(app.store, token)
      p = o == null ? null : { kind: 'cluster', cluster: o.cluster, clusterId: o.clusterId, role: o.role }
      if (owners.size > 10_000) owners.clear()
      owners.set(key, p)
    }
    if (p == null) throw unauthorized('Unauthorized: the bearer token is not valid (unknown, or rotated)')
    return p
  }

  // Rejections are answered here (not thrown) so that plugins with their own error handler
  // (mercurius) answer the same Status with the same HTTP code.
  app.addHook('onRequest', async (req, reply) => {
    try {
      await authorize(req)
    } catch (e) {
      if (!(e instanceof StatusError)) throw e
      if (e.status.code === 401 && state.rejected !== undefined && await state.rejected(req, reply)) return reply
      return await reply.code(e.status.code).type('application/json').send(e.status)
    }
  })

  async function authorize (req: FastifyRequest): Promise<void> {
    req.principal = await principalOf(req)
    if (!enabled) return
    const url = req.routeOptions.url
    if (url === undefined) return // no such route: 404 from the not-found handler
    const path = req.url.split('?')[0]
    if (PUBLIC.some(r => r.test(path))) return
    const params = (req.params ?? {}) as { cluster?: string }
    if (ADMIN_ROUTES.has(`${req.method} ${url}`)) {
      checkAdmin(req.principal, req.method === 'DELETE' ? 'deleting a cluster' : req.method === 'POST' ? 'creating a cluster' : 'listing clusters', params.cluster)
      return
    }
    if (typeof params.cluster === 'string' && url.startsWith('/api/v1/clusters/:cluster')) {
      checkCluster(req.principal, params.cluster, isWrite(req.method, url))
      return
    }
    checkAuthenticated(req.principal)
  }
}

export const auth = fp(authPlugin, { name: 'kubenetsim-auth', dependencies: [] })
