/**
 * Every error leaves the API as a Kubernetes `Status` object: domain StatusErrors as they are, and
 * fastify's own errors (schema validation, body parsing, size limit, media type, 404) translated.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { StatusError, badRequest, internalError, invalid, statusError, type FieldError, type KubeStatus } from '../cluster/errors.ts'

interface AjvError { keyword: string, instancePath: string, message?: string, params: Record<string, unknown> }

/** `/spec/ports/0/port` → `spec.ports[0].port` */
export function fieldPath (instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (extra !== undefined) parts.push(extra)
  let out = ''
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : (out === '' ? p : `.${p}`)
  return out
}

function ajvCause (e: AjvError): FieldError {
  if (e.keyword === 'additionalProperties') {
    const f = fieldPath(e.instancePath, String(e.params.additionalProperty))
    return { type: 'FieldValueNotSupported', field: f, detail: `unknown field "${f}"` }
  }
  if (e.keyword === 'required') {
    return { type: 'FieldValueRequired', field: fieldPath(e.instancePath, String(e.params.missingProperty)), detail: '' }
  }
  const f = fieldPath(e.instancePath)
  return { type: 'FieldValueInvalid', field: f === '' ? '<root>' : f, detail: `${f === '' ? 'body' : f} in body ${e.message ?? 'is invalid'}` }
}

/** The Status for a fastify schema-validation failure: bodies → 422 Invalid, params/query → 400. */
function validationStatus (err: FastifyError, request: FastifyRequest): StatusError {
  const errors = (err.validation ?? []) as unknown as AjvError[]
  if (err.validationContext === 'body') {
    const body = request.body as { metadata?: { name?: unknown } } | undefined
    const name = typeof body?.metadata?.name === 'string' ? body.metadata.name : ''
    const kind = (request.routeOptions.config as { kind?: string } | undefined)?.kind ?? 'Object'
    const unknown = errors.filter(e => e.keyword === 'additionalProperties').map(ajvCause)
    if (unknown.length > 0) {
      // like the API server's strict decoding (400), not schema validation (422)
      return new StatusError({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `${kind} in version "kubenetsim.io/v1" cannot be handled as a ${kind}: strict decoding error: ${unknown.map(c => c.detail).join(', ')}`,
        reason: 'BadRequest',
        details: { causes: unknown.map(c => ({ reason: 'FieldValueInvalid', message: c.detail, field: c.field })) },
        code: 400
      })
    }
    return invalid(kind, name, errors.map(ajvCause), kind === 'Cluster' ? 'kubenetsim.io' : undefined)
  }
  return badRequest(`invalid ${err.validationContext ?? 'request'}: ${errors.map(e => `${fieldPath(e.instancePath) || err.validationContext} ${e.message ?? ''}`.trim()).join('; ')}`)
}

/** Maps anything thrown by a route to a Status (never leaks a stack trace). */
export function toStatus (err: unknown, request: FastifyRequest): KubeStatus {
  if (err instanceof StatusError) return err.status
  const e = err as FastifyError
  if (e?.validation != null) return validationStatus(e, request).status
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return statusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${request.routeOptions.bodyLimit ?? ''}`).status
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return statusError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml').status
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest('the request body is empty').status
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return badRequest('the request body length does not match Content-Length').status
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return statusError(e.statusCode, reasonFor(e.statusCode), e.message).status
  }
  return internalError('an unexpected error occurred; see the server log').status
}

function reasonFor (code: number): string {
  switch (code) {
    case 400: return 'BadRequest'
    case 401: return 'Unauthorized'
    case 403: return 'Forbidden'
    case 404: return 'NotFound'
    case 405: return 'MethodNotAllowed'
    case 406: return 'NotAcceptable'
    case 408: return 'Timeout'
    case 409: return 'Conflict'
    case 413: return 'RequestEntityTooLarge'
    case 415: return 'UnsupportedMediaType'
    case 422: return 'Invalid'
    case 429: return 'TooManyRequests'
    default: return 'BadRequest'
  }
}

export async function errorHandler (this: unknown, err: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<KubeStatus> {
  const status = toStatus(err, request)
  if (status.code >= 500) request.log.error({ err }, 'request failed')
  reply.code(status.code).type('application/json')
  return status
}

export async function notFoundHandler (_request: FastifyRequest, reply: FastifyReply): Promise<KubeStatus> {
  reply.code(404).type('application/json')
  return statusError(404, 'NotFound', 'the server could not find the requested resource').status
}
