/**
 * Errors leave GraphQL as `errors[]` entries (HTTP 200, graphql-over-http) whose message is the
 * REST Status message, and whose extensions carry `code` (the Status reason in SCREAMING_SNAKE),
 * `reason`, `httpStatus`, `causes` and the whole Kubernetes `status`. The mapping from thrown values
 * to Status is REST's own (src/api/errors.ts `toStatus`), so both APIs answer the same.
 */
import type { FastifyRequest } from 'fastify'
import { GraphQLError } from 'graphql'
import mercurius from 'mercurius'
import type { KubeStatus } from '../../cluster/errors.ts'
import { toStatus } from '../errors.ts'

const { ErrorWithProps } = mercurius

/** `AlreadyExists` → `ALREADY_EXISTS` */
export function codeOf (reason: string): string {
  return reason.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()
}

export function statusExtensions (status: KubeStatus): Record<string, unknown> {
  return {
    code: codeOf(status.reason),
    reason: status.reason,
    httpStatus: status.code,
    causes: status.details?.causes ?? [],
    status
  }
}

/** Anything a resolver threw → an ErrorWithProps with the Status in its extensions. */
export function toGraphQLError (err: unknown, request: FastifyRequest): Error {
  if (err instanceof ErrorWithProps || err instanceof GraphQLError) return err as Error
  const status = toStatus(err, request)
  if (status.code >= 500) request.log.error({ err }, 'graphql resolver failed')
  return new ErrorWithProps(status.message, statusExtensions(status))
}

/** An error raised by the GraphQL layer itself (limits), with a stable code. */
export function limitError (message: string, code: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } })
}
