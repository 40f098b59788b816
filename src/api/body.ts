/**
 * Request body parsing: JSON and YAML for objects, and raw text for manifests. Malformed input is a
 * 400 Status saying where (line and column).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import YAML from 'yaml'
import { badRequest } from '../cluster/errors.ts'
import { jsonErrorOffset, lineCol } from '../cluster/manifests.ts'

export const JSON_TYPES = ['application/json']
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml']

/** JSON.parse with the failure position turned into line/column. */
export function parseJson (text: string): unknown {
  if (text.trim() === '') throw badRequest('json parse error: the request body is empty')
  try {
    return JSON.parse(text)
  } catch (e) {
    const at = jsonErrorOffset(text)
    const { line, col } = lineCol(text, at < 0 ? text.length : at)
    throw badRequest(`json parse error at line ${line}, column ${col}: ${(e as Error).message}`)
  }
}

/** One YAML document (object endpoints); several, or a syntax error, is a 400 naming the line. */
export function parseYamlObject (text: string): unknown {
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true })
  const list = Array.isArray(docs) ? docs : [docs]
  for (const d of list) {
    const err = d.errors[0]
    if (err != null) {
      const pos = err.linePos?.[0]
      throw badRequest(`yaml parse error${pos != null ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${err.message.split('\n')[0]}`)
    }
  }
  const real = list.filter(d => d.contents != null)
  if (real.length > 1) throw badRequest(`yaml: the body holds ${real.length} documents; this endpoint takes one object (POST several to .../manifests)`)
  if (real.length === 0) throw badRequest('yaml parse error: the request body is empty')
  return real[0].toJS({ maxAliasCount: 100 })
}

/** Object endpoints: JSON or YAML → plain value. */
export function addObjectParsers (app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  // DELETE may carry DeleteOptions (kubectl sends them) or nothing: accepted and ignored
  const ignorable = (req: FastifyRequest, text: string): boolean => req.method === 'DELETE' && text.trim() === ''
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (req: FastifyRequest, body: string | Buffer, done: (err: Error | null, v?: unknown) => void) => {
    const text = String(body)
    if (ignorable(req, text)) { done(null, undefined); return }
    try { done(null, parseJson(text)) } catch (e) { done(e as Error) }
  })
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (req: FastifyRequest, body: string | Buffer, done: (err: Error | null, v?: unknown) => void) => {
    const text = String(body)
    if (ignorable(req, text)) { done(null, undefined); return }
    try { done(null, parseYamlObject(text)) } catch (e) { done(e as Error) }
  })
}

export interface RawManifest { text: string, type: 'json' | 'yaml' }

/** Manifest endpoint: keeps the text (multi-document YAML or a JSON List) for parseManifests. */
export function addManifestParsers (app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, v?: RawManifest) => void) => {
    done(null, { text: String(body), type: 'json' })
  })
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, v?: RawManifest) => void) => {
    done(null, { text: String(body), type: 'yaml' })
  })
}
