/**
 * Manifest parsing for `POST .../manifests`: multi-document YAML (`---`) or JSON (one object or a
 * `List`). Errors are 400 BadRequest naming the document and the line/column.
 */
import { parseAllDocuments } from 'yaml'
import { badRequest } from './errors.ts'

export interface ManifestObject {
  /** 0-based index of the YAML document (or 0 for JSON) */
  doc: number
  obj: Record<string, unknown>
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function kindOf (v: unknown): string {
  if (Array.isArray(v)) return 'a list'
  if (v === null) return 'null'
  return `a ${typeof v}`
}

/** Offset of the first JSON syntax error (a small recursive-descent scan; error path only). */
export function jsonErrorOffset (text: string): number {
  let i = 0
  const ws = (): void => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++ }
  const fail = (): never => { throw i }
  const value = (): void => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++; ws()
      if (text[i] === '}') { i++; return }
      for (;;) {
        ws(); if (text[i] !== '"') fail()
        str(); ws(); if (text[i] !== ':') fail()
        i++; value(); ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === '}') { i++; return }
        fail()
      }
    } else if (c === '[') {
      i++; ws()
      if (text[i] === ']') { i++; return }
      for (;;) {
        value(); ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === ']') { i++; return }
        fail()
      }
    } else if (c === '"') str()
    else if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i))
      if (m === null) fail()
      i += m![0].length
    } else {
      for (const lit of ['true', 'false', 'null']) if (text.startsWith(lit, i)) { i += lit.length; return }
      fail()
    }
  }
  const str = (): void => {
    i++
    while (i < text.length) {
      const c = text[i]
      if (c === '"') { i++; return }
      if (c === '\\') {
        const n = text[i + 1]
        if (n === 'u') { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) { i++; fail() } i += 6 } else if ('"\\/bfnrt'.includes(n ?? 'x')) i += 2
        else { i++; fail() }
        continue
      }
      if (c < ' ') fail()
      i++
    }
    fail()
  }
  try {
    value(); ws()
    if (i < text.length) return i
    return -1
  } catch (at) {
    return typeof at === 'number' ? at : i
  }
}

/** 1-based line and column of a 0-based offset. */
export function lineCol (text: string, offset: number): { line: number, col: number } {
  let line = 1
  let last = -1
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') { line++; last = i }
  return { line, col: offset - last }
}

function expandList (obj: Record<string, unknown>, doc: number, where: string): ManifestObject[] {
  if (obj.kind === 'List' || (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items))) {
    if (!Array.isArray(obj.items)) throw badRequest(`${where}: a List must have an "items" array`)
    return obj.items.map((item, i) => {
      if (!isPlainObject(item)) throw badRequest(`${where}: items[${i}] must be an object, got ${kindOf(item)}`)
      return { doc, obj: item }
    })
  }
  return [{ doc, obj }]
}

export function parseManifests (text: string, contentType: 'yaml' | 'json'): ManifestObject[] {
  if (contentType === 'json') {
    let v: unknown
    try {
      v = JSON.parse(text)
    } catch (e) {
      const off = jsonErrorOffset(text)
      const { line, col } = lineCol(text, off < 0 ? text.length : off)
      const reason = e instanceof Error ? e.message.replace(/ (in|after) JSON at position \d+.*$/s, '').split(/, (?:\.\.\.)?"/)[0] : 'syntax error'
      throw badRequest(`invalid JSON in document 1 at line ${line}, column ${col}: ${reason}`)
    }
    if (!isPlainObject(v)) throw badRequest(`document 1: expected a JSON object (a manifest or a List), got ${kindOf(v)}`)
    return expandList(v, 0, 'document 1')
  }
  const docs = parseAllDocuments(text, { prettyErrors: true })
  if (!Array.isArray(docs)) return []
  const out: ManifestObject[] = []
  docs.forEach((d, idx) => {
    const where = `document ${idx + 1}`
    if (d.errors.length > 0) {
      const err = d.errors[0]
      const pos = err.linePos?.[0]
      const msg = err.message.split(' at line ')[0].split('\n')[0]
      throw badRequest(`invalid YAML in ${where} at line ${pos?.line ?? '?'}, column ${pos?.col ?? '?'}: ${msg}`)
    }
    let v: unknown
    try {
      v = d.toJS({ maxAliasCount: 100 })
    } catch (e) {
      throw badRequest(`invalid YAML in ${where}: ${e instanceof Error ? e.message : String(e)}`)
    }
    if (v === null || v === undefined) return
    if (!isPlainObject(v)) {
      const start = (d.contents as { range?: [number, number, number] } | null)?.range?.[0] ?? d.range?.[0] ?? 0
      const line = lineCol(text, start).line
      throw badRequest(`${where} (line ${line}): expected a mapping (a manifest with apiVersion and kind), got ${kindOf(v)}`)
    }
    out.push(...expandList(v, idx, where))
  })
  return out
}
