/** Route-schema building blocks shared by the REST plugins. */
import { Type, type TSchema } from 'typebox'

export const ClusterParams = Type.Object({ cluster: Type.String({ description: 'cluster name' }) })
export const NamedClusterParams = Type.Object({ cluster: Type.String({ description: 'cluster name' }), name: Type.String() })
export const NsParams = Type.Object({ cluster: Type.String({ description: 'cluster name' }), ns: Type.String({ description: 'namespace' }) })
export const NsNameParams = Type.Object({ cluster: Type.String({ description: 'cluster name' }), ns: Type.String({ description: 'namespace' }), name: Type.String() })

const ERROR_TEXT: Record<number, string> = {
  400: 'BadRequest: malformed JSON/YAML (with line and column), mismatched name or namespace',
  401: 'Unauthorized: missing or invalid bearer token (only when the server has an admin token)',
  403: 'Forbidden: a read-only token on a write, or a cluster token on an admin operation',
  404: 'NotFound',
  409: 'AlreadyExists, or Conflict (stale metadata.resourceVersion)',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid: details.causes name each field',
  500: 'InternalError (e.g. allocation range full)'
}

/** Status responses for the given codes. */
export function errors (...codes: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {}
  for (const c of codes) out[c] = Type.Ref('Status', { description: ERROR_TEXT[c] ?? 'Status' })
  return out
}

export const ok = (ref: string, description: string): TSchema => Type.Ref(ref, { description })

/** Media types accepted for object bodies. */
export const OBJECT_CONSUMES = ['application/json', 'application/yaml']

export const WRITE_ERRORS = [400, 404, 409, 413, 415, 422, 500]
