/** ObjectMeta validation (apimachinery ValidateObjectMeta / ValidateObjectMetaUpdate). */
import { fieldForbidden, fieldInvalid, fieldRequired, fieldTooLong, type FieldError } from '../errors.ts'
import { validateLabels } from '../labels.ts'
import type { ObjectMeta } from '../model.ts'
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from '../names.ts'

/** (name, prefix) → messages; `prefix` is true for generateName. */
export type NameValidator = (name: string, prefix: boolean) => string[]

/** generateName may end with '-': the server masks it (replacing the last two characters with 'a'). */
function maskTrailingDash (name: string): string {
  return name.length > 1 && name.endsWith('-') ? name.slice(0, -2) + 'a' : name
}

export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name)
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name)
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name)

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024

export function validateAnnotations (annotations: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = []
  if (annotations === undefined || annotations === null) return errs
  let size = 0
  for (const k of Object.keys(annotations).sort()) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldInvalid(field, k, m))
    size += k.length + String(annotations[k]).length
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(fieldTooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT))
  return errs
}

/**
 * ValidateObjectMeta. `nameFn` defaults to DNS-1123 subdomain (pods, nodes); services pass
 * `nameIsDNS1035Label`. Namespaces must be DNS-1123 labels.
 */
export function validateObjectMeta (meta: ObjectMeta, namespaced: boolean, nameFn: NameValidator = nameIsDNSSubdomain): FieldError[] {
  const errs: FieldError[] = []
  if (meta.generateName !== undefined && meta.generateName !== '') {
    for (const m of nameFn(meta.generateName, true)) errs.push(fieldInvalid('metadata.generateName', meta.generateName, m))
  }
  if (meta.name === undefined || meta.name === '') {
    errs.push(fieldRequired('metadata.name', 'name or generateName is required'))
  } else {
    for (const m of nameFn(meta.name, false)) errs.push(fieldInvalid('metadata.name', meta.name, m))
  }
  if (namespaced) {
    if (meta.namespace === undefined || meta.namespace === '') errs.push(fieldRequired('metadata.namespace'))
    else for (const m of isDNS1123Label(meta.namespace)) errs.push(fieldInvalid('metadata.namespace', meta.namespace, m))
  } else if (meta.namespace !== undefined && meta.namespace !== '') {
    errs.push(fieldForbidden('metadata.namespace', 'not allowed on this type'))
  }
  errs.push(...validateLabels(meta.labels, 'metadata.labels'))
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'))
  return errs
}

const IMMUTABLE = 'field is immutable'

/** ValidateObjectMetaUpdate: name, namespace, uid and creationTimestamp may not change. */
export function validateObjectMetaUpdate (newMeta: ObjectMeta, oldMeta: ObjectMeta): FieldError[] {
  const errs: FieldError[] = []
  if ((newMeta.name ?? '') !== (oldMeta.name ?? '')) errs.push(fieldInvalid('metadata.name', newMeta.name ?? '', IMMUTABLE))
  if ((newMeta.namespace ?? '') !== (oldMeta.namespace ?? '')) errs.push(fieldInvalid('metadata.namespace', newMeta.namespace ?? '', IMMUTABLE))
  if (newMeta.uid !== undefined && oldMeta.uid !== undefined && newMeta.uid !== oldMeta.uid) errs.push(fieldInvalid('metadata.uid', newMeta.uid, IMMUTABLE))
  if (newMeta.creationTimestamp !== undefined && oldMeta.creationTimestamp !== undefined && newMeta.creationTimestamp !== oldMeta.creationTimestamp) {
    errs.push(fieldInvalid('metadata.creationTimestamp', newMeta.creationTimestamp, IMMUTABLE))
  }
  errs.push(...validateLabels(newMeta.labels, 'metadata.labels'))
  errs.push(...validateAnnotations(newMeta.annotations, 'metadata.annotations'))
  return errs
}
