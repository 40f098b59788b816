/**
 * The JSON text of a trace response, byte for byte what JSON.stringify makes of it, but faster: most
 * of a trace's text is the same from one trace to the next (a matched rule's step: canonical text,
 * provenance, explanation), so the parts the response builder shares between traces (marked with
 * `shareFragment`: immutable objects) are serialised once and their text is reused.
 */

/** immutable objects whose JSON text is kept (null until first serialised) */
const FRAGMENTS = new WeakMap<object, string | null>()

/** Marks `o` as immutable and shared between responses: its JSON text is computed once. */
export function shareFragment<T extends object> (o: T): T {
  if (!FRAGMENTS.has(o)) FRAGMENTS.set(o, null)
  return o
}

/** keys whose value is walked here (it holds shared fragments); any other value is left to JSON.stringify */
const WALK = new Map<string, 'object' | 'elements' | 'native-elements'>([
  ['paths', 'elements'],
  ['hops', 'elements'],
  ['reply', 'object'],
  ['steps', 'native-elements']
])

function fragment (o: object): string | undefined {
  const hit = FRAGMENTS.get(o)
  if (hit === undefined) return undefined
  if (hit !== null) return hit
  const s = JSON.stringify(o)
  FRAGMENTS.set(o, s)
  return s
}

function element (v: unknown, walk: boolean): string {
  if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? 'null'
  return fragment(v) ?? (walk && !Array.isArray(v) ? object(v) : JSON.stringify(v))
}

function object (o: object): string {
  if (typeof (o as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(o)
  let out = '{'
  let first = true
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue
    const v = (o as Record<string, unknown>)[k]
    let s: string | undefined
    if (typeof v !== 'object' || v === null) s = JSON.stringify(v)
    else {
      s = fragment(v)
      if (s === undefined) {
        const how = WALK.get(k)
        if (how === undefined) s = JSON.stringify(v)
        else if (!Array.isArray(v)) s = how === 'object' ? object(v) : JSON.stringify(v)
        else {
          s = '['
          for (let i = 0; i < v.length; i++) s += (i > 0 ? ',' : '') + element(v[i], how === 'elements')
          s += ']'
        }
      }
    }
    if (s === undefined) continue // undefined, functions, symbols are left out
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + s
    first = false
  }
  return out + '}'
}

/** JSON.stringify(response), reusing the text of shared fragments. */
export function traceJSON (r: object): string {
  return object(r)
}
