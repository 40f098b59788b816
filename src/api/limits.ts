/**
 * Request limits beyond fastify's body limit and the manifest object count (both in app.ts):
 * - slow clients: the headers must arrive within `headersTimeoutMs` and the whole request (body
 *   included) within `clientTimeoutMs`, else 408 Timeout and the connection is closed (Node's own
 *   http server timers, see httpServerOptions; a trickled body or a half-sent request cannot hold a
 *   connection and its buffers for ever);
 * - per-caller rate limit (@fastify/rate-limit; the caller is the bearer token, else the address):
 *   429 TooManyRequests with Retry-After; the counts of at most `rateLimitCallers` callers are kept
 *   (least recently seen forgotten), so memory stays bounded. Requests rejected by auth.ts (401)
 *   count against their address, so guessing tokens is limited too. A GraphQL request counts
 *   once: the REST calls its resolvers make in-process (src/api/graphql/rest.ts) are not counted;
 * - handler timeout: a request still running `requestTimeoutMs` after it was received in full
 *   answers 503 ServiceUnavailable with Retry-After. The answer is sent at the next turn of the
 *   event loop: it cannot cut a synchronous computation short (a rule render, a trace, a parse),
 *   which the size limits below bound instead; the work in progress finishes or rolls back by itself;
 * - standalone engine ruleset size (bytes and lines): 413 RequestEntityTooLarge;
 * - branch enumeration: `options.maxBranches` above the cap: 422 Invalid;
 * - objects per cluster (nodes + pods + services): a create past the cap answers 403 Forbidden
 *   `exceeded quota` like a ResourceQuota, nothing written (checked in the write transaction by
 *   src/cluster/actions/quota.ts; buildApp hands the cap to the store).
 * Every one is configurable (buildApp `limits`, env in src/server.ts); 0 turns a limit off.
 */
import type { ServerOptions } from 'node:http'
import type { Socket } from 'node:net'
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { StatusError, invalid, statusError, type KubeStatus } from '../cluster/errors.ts'
import { callerKey } from './auth.ts'
import { isDelegated } from './graphql/rest.ts'

export interface RequestLimits {
  /** longest time a client may take to send the request headers (0: Node's default, 60 s) */
  headersTimeoutMs: number
  /** longest time a client may take to send the whole request, body included (0: none) */
  clientTimeoutMs: number
  /** requests per caller per `rateLimitWindowMs` (0: no rate limit) */
  rateLimitMax: number
  rateLimitWindowMs: number
  /** callers whose counts the rate limiter keeps (least recently seen are forgotten) */
  rateLimitCallers: number
  /** longest time a request may run, once received, before 503 (0: none) */
  requestTimeoutMs: number
  /** largest standalone-engine ruleset, bytes and lines */
  maxRulesetBytes: number
  maxRulesetLines: number
  /** largest `options.maxBranches` a trace may ask for */
  maxTraceBranches: number
  /** most nodes + pods + services in one cluster (403 beyond) */
  maxClusterObjects: number
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  headersTimeoutMs: 20_000,
  clientTimeoutMs: 60_000,
  rateLimitMax: 0,
  rateLimitWindowMs: 60_000,
  rateLimitCallers: 10_000,
  requestTimeoutMs: 30_000,
  maxRulesetBytes: 2_000_000,
  maxRulesetLines: 50_000,
  maxTraceBranches: 4096,
  maxClusterObjects: 20_000
}

/** Reads the limits from the environment (src/server.ts); unset variables keep `base`. */
export function requestLimitsFromEnv (env: NodeJS.ProcessEnv, base: RequestLimits = DEFAULT_REQUEST_LIMITS): RequestLimits {
  const int = (name: string, fallback: number): number => {
    const v = env[name]
    if (v === undefined || v === '') return fallback
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`)
    return n
  }
  return {
    headersTimeoutMs: int('KUBENETSIM_HEADERS_TIMEOUT_MS', base.headersTimeoutMs),
    clientTimeoutMs: int('KUBENETSIM_CLIENT_TIMEOUT_MS', base.clientTimeoutMs),
    rateLimitMax: int('KUBENETSIM_RATE_LIMIT', base.rateLimitMax),
    rateLimitWindowMs: int('KUBENETSIM_RATE_LIMIT_WINDOW_MS', base.rateLimitWindowMs),
    rateLimitCallers: int('KUBENETSIM_RATE_LIMIT_CALLERS', base.rateLimitCallers),
    requestTimeoutMs: int('KUBENETSIM_REQUEST_TIMEOUT_MS', base.requestTimeoutMs),
    maxRulesetBytes: int('KUBENETSIM_MAX_RULESET_BYTES', base.maxRulesetBytes),
    maxRulesetLines: int('KUBENETSIM_MAX_RULESET_LINES', base.maxRulesetLines),
    maxTraceBranches: int('KUBENETSIM_MAX_TRACE_BRANCHES', base.maxTraceBranches),
    maxClusterObjects: int('KUBENETSIM_MAX_CLUSTER_OBJECTS', base.maxClusterObjects)
  }
}

const TRACE_ROUTES = new Set(['/api/v1/netfilter/traces', '/api/v1/clusters/:cluster/traces'])

function checkBody (req: FastifyRequest, l: RequestLimits): void {
  const url = req.routeOptions.url ?? ''
  if (req.method !== 'POST') return
  const body = req.body as { ruleset?: unknown, options?: { maxBranches?: unknown } } | undefined
  if (body == null || typeof body !== 'object') return
  if (url.startsWith('/api/v1/netfilter/') && typeof body.ruleset === 'string') {
    const bytes = Buffer.byteLength(body.ruleset)
    if (l.maxRulesetBytes > 0 && bytes > l.maxRulesetBytes) {
      throw statusError(413, 'RequestEntityTooLarge', `the ruleset is ${bytes} bytes; the limit is ${l.maxRulesetBytes} bytes`)
    }
    if (l.maxRulesetLines > 0) {
      let lines = 1
      for (let i = body.ruleset.indexOf('\n'); i >= 0; i = body.ruleset.indexOf('\n', i + 1)) lines++
      if (lines > l.maxRulesetLines) throw statusError(413, 'RequestEntityTooLarge', `the ruleset has ${lines} lines; the limit is ${l.maxRulesetLines} lines`)
    }
  }
  if (TRACE_ROUTES.has(url) && l.maxTraceBranches > 0) {
    const mb = body.options?.maxBranches
    if (typeof mb === 'number' && mb > l.maxTraceBranches) {
      throw invalid('Trace', '', [{ type: 'FieldValueInvalid', field: 'options.maxBranches', value: mb, detail: `must be at most ${l.maxTraceBranches} (the server's branch enumeration limit)` }], 'kubenetsim.io')
    }
  }
}

async function limitsPlugin (app: FastifyInstance, l: RequestLimits): Promise<void> {
  if (l.rateLimitMax > 0) {
    // not `global`: the limiter's own hook throws, and /graphql's error handler (mercurius) would
    // turn that into a GraphQL answer with HTTP 200; like auth.ts, the 429 is answered here instead
    await app.register(rateLimit, {
      global: false,
      max: l.rateLimitMax,
      timeWindow: l.rateLimitWindowMs,
      // the in-memory store is an LRU: its size is bounded whatever the number of tokens and addresses
      cache: l.rateLimitCallers > 0 ? l.rateLimitCallers : 10_000,
      keyGenerator: callerKey,
      // in-process REST calls of a GraphQL resolver: the GraphQL request itself was counted
      allowList: (req) => isDelegated() || req.url.split('?')[0] === '/healthz',
      errorResponseBuilder: (_req, ctx) => statusError(429, 'TooManyRequests', `Too many requests: at most ${ctx.max} per ${Math.round(l.rateLimitWindowMs / 1000)} s per token; retry in ${Math.ceil(ctx.ttl / 1000)} s`)
    })
    const check = app.rateLimit()
    /** Counts the request; true when it is over the limit and the 429 has been sent. */
    const limited = async (req: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
      try {
        await check.call(app, req, reply)
        return false
      } catch (e) {
        if (!(e instanceof StatusError)) throw e
        await reply.code(e.status.code).type('application/json').send(e.status)
        return true
      }
    }
    // rejected authentications (auth.ts answers them before this hook) count per address, so
    // guessing tokens, or flooding the token lookup, is limited too
    app.auth.rejected = limited
    app.addHook('onRequest', async (req, reply) => {
      if (await limited(req, reply)) return reply
    })
  }
  if (l.requestTimeoutMs > 0) {
    // from the end of body parsing: the time a client takes to send its body is the client
    // timeout's business (408), not the server's (503)
    app.addHook('preValidation', async (req, reply) => {
      const timer = setTimeout(() => {
        if (reply.sent || reply.raw.headersSent) return
        const s = statusError(503, 'ServiceUnavailable', `the request did not complete within ${l.requestTimeoutMs} ms (a write may still complete; read before retrying)`).status
        reply.code(503).header('retry-after', '1').type('application/json').send(s)
      }, l.requestTimeoutMs)
      timer.unref()
      reply.raw.once('close', () => { clearTimeout(timer) })
      reply.raw.once('finish', () => { clearTimeout(timer) })
    })
  }
  app.addHook('preValidation', async (req) => { checkBody(req, l) })
}

export const limits = fp(limitsPlugin, { name: 'kubenetsim-limits' })

/**
 * Options for Node's http server (fastify `http`, `requestTimeout`): its timers answer a client too
 * slow to send headers or body. Node looks for expired connections every
 * `connectionsCheckingInterval` ms (default 30 s), so the interval follows the shortest timeout.
 */
export function httpServerOptions (l: Pick<RequestLimits, 'headersTimeoutMs' | 'clientTimeoutMs'>): { http: ServerOptions, requestTimeout: number } {
  const request = l.clientTimeoutMs
  // Node refuses a headers timeout longer than the request timeout
  const headers = l.headersTimeoutMs > 0 && (request === 0 || l.headersTimeoutMs <= request) ? l.headersTimeoutMs : (request > 0 ? request : 60_000)
  const shortest = Math.min(headers, request > 0 ? request : headers)
  const interval = Math.max(25, Math.min(1000, Math.floor(shortest / 4)))
  return { http: { headersTimeout: headers, requestTimeout: request, connectionsCheckingInterval: interval }, requestTimeout: request }
}

function clientStatus (err: NodeJS.ErrnoException, l: Pick<RequestLimits, 'headersTimeoutMs' | 'clientTimeoutMs'>): KubeStatus {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return statusError(408, 'Timeout', `the request was not received in time: the headers must arrive within ${l.headersTimeoutMs} ms and the whole request within ${l.clientTimeoutMs} ms`).status
    case 'HPE_HEADER_OVERFLOW':
      return statusError(431, 'RequestHeaderFieldsTooLarge', 'the request headers are too large').status
    default:
      return statusError(400, 'BadRequest', `malformed HTTP request${err.code !== undefined ? ` (${err.code})` : ''}`).status
  }
}

/**
 * fastify `clientErrorHandler`: errors Node raises on a connection before a request reaches the
 * routes (timeouts above, malformed HTTP) answer a Status like every other error, then close.
 */
export function clientErrorHandler (l: Pick<RequestLimits, 'headersTimeoutMs' | 'clientTimeoutMs'>) {
  return function (err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    // a response already under way on this socket must not get bytes of another one in its middle
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
    if (socket.writable && inFlight?.headersSent !== true) {
      const s = clientStatus(err, l)
      const body = JSON.stringify(s)
      const reason = s.code === 408 ? 'Request Timeout' : s.code === 431 ? 'Request Header Fields Too Large' : 'Bad Request'
      socket.write(`HTTP/1.1 ${s.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    }
    socket.destroy(err)
  }
}
