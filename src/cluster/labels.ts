/** Label maps: validation (metav1 ValidateLabels) and selector matching. */
import { fieldInvalid, type FieldError } from './errors.ts'
import { isQualifiedName, isValidLabelValue } from './names.ts'

/** Keys are checked in sorted order so the error list is deterministic (Go iterates maps randomly). */
export function validateLabels (labels: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = []
  if (labels === undefined || labels === null) return errs
  for (const k of Object.keys(labels).sort()) {
    for (const m of isQualifiedName(k)) errs.push(fieldInvalid(field, k, m))
    const v = labels[k]
    for (const m of isValidLabelValue(v)) errs.push(fieldInvalid(field, v, m))
  }
  return errs
}

/** Every key=value of the selector is present in labels. An empty selector matches everything. */
export function selectorMatches (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(selector)) {
    if (labels === undefined || !Object.prototype.hasOwnProperty.call(labels, k) || labels[k] !== v) return false
  }
  return true
}

/** `labels.FormatLabels`: `a=1,b=2` sorted by key, `<none>` when empty. */
export function formatLabels (labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort()
  if (keys.length === 0) return '<none>'
  return keys.map(k => `${k}=${labels![k]}`).join(',')
}
