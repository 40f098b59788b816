/**
 * In-process delegation to a REST route (fastify `inject`), used where the REST handler holds logic
 * that has no shared function yet (see docs/graphql-open-items.md): GraphQL then answers exactly what
 * REST answers, errors included (a Status body is re-thrown as the same StatusError).
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { FastifyInstance } from 'fastify'
import { StatusError, internalError, type KubeStatus } from '../../cluster/errors.ts'

export interface RestCall {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT'
  url: string
  query?: Record<string, string>
  payload?: unknown
  accept?: string
}

export interface RestAnswer { status: number, contentType: string, text: string, json: () => unknown }

export const seg = (s: string): string => encodeURIComponent(s)

// Set only while a resolver's in-process call runs: requests from the network never run in this
// context, so no header or body can pretend to be a delegated call.
const delegated = new AsyncLocalStorage<true>()

/** True inside a request injected by viaRest (the rate limiter does not count it again). */
export function isDelegated (): boolean {
  return delegated.getStore() === true
}

export async function viaRest (app: FastifyInstance, call: RestCall): Promise<RestAnswer> {
  const r = await delegated.run(true, async () => await app.inject({
    method: call.method,
    url: call.url,
    ...(call.query !== undefined ? { query: call.query } : {}),
    ...(call.payload !== undefined ? { payload: call.payload as object } : {}),
    headers: { accept: call.accept ?? 'application/json' }
  }))
  const contentType = String(r.headers['content-type'] ?? '')
  if (r.statusCode >= 400) {
    let status: KubeStatus | undefined
    try { status = JSON.parse(r.body) as KubeStatus } catch { /* not JSON */ }
    if (status?.kind === 'Status') throw new StatusError(status)
    throw internalError(`${call.method} ${call.url} answered ${r.statusCode}`)
  }
  return { status: r.statusCode, contentType, text: r.body, json: () => JSON.parse(r.body) }
}
