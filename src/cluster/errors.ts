/**
 * Kubernetes `metav1.Status` errors and field errors, shaped and worded like apimachinery's
 * `api/errors` and `util/validation/field` packages.
 */

/** `reason` is omitted only for internal errors (Go's omitempty). */
export interface StatusCause { reason?: string, message: string, field?: string }

export interface KubeStatus {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure'
  message: string
  reason: string
  details?: { name?: string, group?: string, kind?: string, causes?: StatusCause[] }
  code: number
}

export type FieldErrorType =
  | 'FieldValueInvalid'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueNotSupported'
  | 'FieldValueTooLong'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound'
  | 'InternalError'

export interface FieldError {
  type: FieldErrorType
  field: string
  /** the bad value; `undefined` omits it from the message */
  value?: unknown
  detail: string
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueInvalid: 'Invalid value',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueTooLong: 'Too long',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueNotFound: 'Not found',
  InternalError: 'Internal error'
}

/** Types whose message never shows the bad value (field.Error.ErrorBody). */
const NO_VALUE = new Set<FieldErrorType>(['FieldValueRequired', 'FieldValueForbidden', 'FieldValueTooLong', 'InternalError'])

/** Go-ish rendering of a bad value: numbers and booleans bare, strings quoted, composites as JSON (k8s ≥ 1.34). */
export function renderValue (v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v)
  if (v === null) return 'null'
  return JSON.stringify(v)
}

/** The error text without its field prefix (`ErrorBody`): `<Type>: <value>: <detail>`. */
export function fieldErrorBody (e: FieldError): string {
  let s = TYPE_TEXT[e.type]
  if (!NO_VALUE.has(e.type) && e.value !== undefined) s += `: ${renderValue(e.value)}`
  if (e.detail.length > 0) s += `: ${e.detail}`
  return s
}

/** `<field>: <Type>: <value>: <detail>` exactly like the API server. */
export function fieldErrorMessage (e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`
}

// Constructors mirroring field.Invalid / Required / ...
export const fieldInvalid = (field: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, value, detail })
export const fieldRequired = (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail })
export const fieldForbidden = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail })
export const fieldDuplicate = (field: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, value, detail: '' })
export const fieldTooLong = (field: string, max: number): FieldError => ({ type: 'FieldValueTooLong', field, detail: `must have at most ${max} bytes` })
/** field.NotSupported: detail `supported values: "a", "b"` (values sorted as the server lists them). */
export function fieldNotSupported (field: string, value: unknown, supported: readonly string[]): FieldError {
  const detail = supported.length > 0 ? 'supported values: ' + supported.map(s => JSON.stringify(s)).join(', ') : ''
  return { type: 'FieldValueNotSupported', field, value, detail }
}

export class StatusError extends Error {
  readonly status: KubeStatus
  constructor (status: KubeStatus) {
    super(status.message)
    this.name = 'StatusError'
    this.status = status
  }

  get code (): number { return this.status.code }
}

function make (code: number, reason: string, message: string, details?: KubeStatus['details']): StatusError {
  const status: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
  if (details !== undefined) {
    // key order as Go marshals: status, message, reason, details, code
    const s = { kind: status.kind, apiVersion: status.apiVersion, metadata: {}, status: status.status, message, reason, details, code }
    return new StatusError(s as KubeStatus)
  }
  return new StatusError(status)
}

function details (name: string, group: string | undefined, kind: string, causes?: StatusCause[]): NonNullable<KubeStatus['details']> {
  const d: NonNullable<KubeStatus['details']> = { name }
  if (group !== undefined && group !== '') d.group = group
  d.kind = kind
  if (causes !== undefined) d.causes = causes
  return d
}

function qualified (resource: string, group?: string): string {
  return group !== undefined && group !== '' ? `${resource}.${group}` : resource
}

/** errors.NewInvalid: 422, `<Kind> "<name>" is invalid: <err>` or `[e1, e2]` for several (deduplicated). */
export function invalid (kind: string, name: string, causes: FieldError[], group?: string): StatusError {
  const msgs: string[] = []
  for (const c of causes) {
    const m = fieldErrorMessage(c)
    if (!msgs.includes(m)) msgs.push(m)
  }
  const qkind = qualified(kind, group)
  let message = `${qkind} ${JSON.stringify(name)} is invalid`
  if (msgs.length === 1) message += `: ${msgs[0]}`
  else if (msgs.length > 1) message += `: [${msgs.join(', ')}]`
  const statusCauses: StatusCause[] = causes.map(c => ({ reason: c.type, message: fieldErrorBody(c), field: c.field }))
  return make(422, 'Invalid', message, details(name, group, kind, statusCauses))
}

export function alreadyExists (resource: string, name: string, group?: string): StatusError {
  return make(409, 'AlreadyExists', `${qualified(resource, group)} ${JSON.stringify(name)} already exists`, details(name, group, resource))
}

/** generateName collisions exhausted (registry Store.Create). */
export function alreadyExistsGenerated (resource: string, name: string, group?: string): StatusError {
  return make(409, 'AlreadyExists',
    `${qualified(resource, group)} ${JSON.stringify(name)} already exists, the server was not able to generate a unique name for the object`,
    details(name, group, resource))
}

export function notFound (resource: string, name: string, group?: string): StatusError {
  return make(404, 'NotFound', `${qualified(resource, group)} ${JSON.stringify(name)} not found`, details(name, group, resource))
}

export const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again'

/** errors.NewConflict: `Operation cannot be fulfilled on <resource> "<name>": <detail>`. */
export function conflict (resource: string, name: string, detail: string = OPTIMISTIC_LOCK_MESSAGE, group?: string): StatusError {
  return make(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource, group)} ${JSON.stringify(name)}: ${detail}`, details(name, group, resource))
}

export function badRequest (message: string): StatusError {
  return make(400, 'BadRequest', message)
}

/** errors.NewInternalError: 500 `Internal error occurred: <err>` with one cause holding the message. */
export function internalError (message: string): StatusError {
  return make(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] })
}

export function statusError (code: number, reason: string, message: string): StatusError {
  return make(code, reason, message)
}
