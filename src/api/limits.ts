/**
 * Request limits beyond fastify's body limit and the manifest object count (both in app.ts):
 * - per-caller rate limit (@fastify/rate-limit; the caller is the bearer token, else the address):
 *   429 TooManyRequests with Retry-After;
 * - handler timeout: a request still running after `requestTimeoutMs` answers 503
 *   ServiceUnavailable with Retry-After (the work in progress finishes or rolls back by itself);
 * - standalone engine ruleset size (bytes and lines): 413 RequestEntityTooLarge;
 * - branch enumeration: `options.maxBranches` above the cap: 422 Invalid.
 * Every one is configurable (buildApp `limits`, env in src/server.ts); 0 turns a limit off.
 */
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { invalid, statusError } from '../cluster/errors.ts'
import { callerKey } from './auth.ts'

export interface RequestLimits {
  /** requests per caller per `rateLimitWindowMs` (0: no rate limit) */
  rateLimitMax: number
  rateLimitWindowMs: number
  /** longest time a request may run before 503 (0: none) */
  requestTimeoutMs: number
  /** largest standalone-engine ruleset, bytes and lines */
  maxRulesetBytes: number
  maxRulesetLines: number
  /** largest `options.maxBranches` a trace may ask for */
  maxTraceBranches: number
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  rateLimitMax: 0,
  rateLimitWindowMs: 60_000,
  requestTimeoutMs: 30_000,
  maxRulesetBytes: 2_000_000,
  maxRulesetLines: 50_000,
  maxTraceBranches: 4096
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
    rateLimitMax: int('KUBENETSIM_RATE_LIMIT', base.rateLimitMax),
    rateLimitWindowMs: int('KUBENETSIM_RATE_LIMIT_WINDOW_MS', base.rateLimitWindowMs),
    requestTimeoutMs: int('KUBENETSIM_REQUEST_TIMEOUT_MS', base.requestTimeoutMs),
    maxRulesetBytes: int('KUBENETSIM_MAX_RULESET_BYTES', base.maxRulesetBytes),
    maxRulesetLines: int('KUBENETSIM_MAX_RULESET_LINES', base.maxRulesetLines),
    maxTraceBranches: int('KUBENETSIM_MAX_TRACE_BRANCHES', base.maxTraceBranches)
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
    await app.register(rateLimit, {
      global: true,
      max: l.rateLimitMax,
      timeWindow: l.rateLimitWindowMs,
      keyGenerator: callerKey,
      allowList: (req) => (req.url.split('?')[0] === '/healthz'),
      errorResponseBuilder: (_req, ctx) => statusError(429, 'TooManyRequests', `Too many requests: at most ${ctx.max} per ${Math.round(l.rateLimitWindowMs / 1000)} s per token; retry in ${Math.ceil(ctx.ttl / 1000)} s`)
    })
  }
  if (l.requestTimeoutMs > 0) {
    app.addHook('onRequest', async (req, reply) => {
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
