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

/**
 * Where the text goes: a list of parts joined once (appending with `+=` builds a deep rope whose
 * first flattening costs more than the rest of the serialisation of a large trace), or UTF-8 bytes.
 */
interface Sink {
  text: (s: string) => void
  /** a shared fragment and its (cached) JSON text */
  fragment: (o: object, s: string) => void
}

function element (v: unknown, walk: boolean, out: Sink): void {
  if (typeof v !== 'object' || v === null) { out.text(primitive(v) ?? 'null'); return }
  const f = fragment(v)
  if (f !== undefined) out.fragment(v, f)
  else if (walk && !Array.isArray(v)) object(v, out)
  else out.text(JSON.stringify(v))
}

/** `"key":` and `,"key":` per key seen (response keys are a small fixed set) */
const KEYS = new Map<string, [string, string]>()

function keyText (k: string, first: boolean): string {
  let t = KEYS.get(k)
  if (t === undefined) {
    const q = JSON.stringify(k) + ':'
    t = [q, ',' + q]
    if (KEYS.size < 4096) KEYS.set(k, t)
  }
  return first ? t[0] : t[1]
}

/** JSON text of a primitive value, undefined for what JSON.stringify leaves out */
function primitive (v: unknown): string | undefined {
  switch (typeof v) {
    case 'string': return JSON.stringify(v)
    case 'number': return Number.isFinite(v) ? String(v) : 'null'
    case 'boolean': return v ? 'true' : 'false'
    default: return v === null ? 'null' : JSON.stringify(v)
  }
}

function object (o: object, out: Sink): void {
  if (typeof (o as { toJSON?: unknown }).toJSON === 'function') { out.text(JSON.stringify(o)); return }
  let first = true
  out.text('{')
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue
    const v = (o as Record<string, unknown>)[k]
    if (typeof v !== 'object' || v === null) {
      const s = primitive(v)
      if (s === undefined) continue // undefined, functions, symbols are left out
      out.text(keyText(k, first) + s)
      first = false
      continue
    }
    out.text(keyText(k, first))
    first = false
    const s = fragment(v)
    if (s !== undefined) { out.fragment(v, s); continue }
    const how = WALK.get(k)
    if (how === undefined) out.text(JSON.stringify(v))
    else if (!Array.isArray(v)) { if (how === 'object') object(v, out); else out.text(JSON.stringify(v)) } else {
      out.text('[')
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out.text(',')
        element(v[i], how === 'elements', out)
      }
      out.text(']')
    }
  }
  out.text('}')
}

/** JSON.stringify(response), reusing the text of shared fragments. */
export function traceJSON (r: object): string {
  const parts: string[] = []
  const push = (s: string): void => { parts.push(s) }
  object(r, { text: push, fragment: (_o, s) => push(s) })
  return parts.join('')
}

/** UTF-8 bytes of shared fragments, encoded once */
const FRAGMENT_BYTES = new WeakMap<object, Buffer>()

/**
 * The UTF-8 bytes of traceJSON(r), built without the whole text as one string: shared fragments
 * (most of a trace) are encoded once and their bytes copied (`TypedArray.set`: no call into Buffer's
 * native code), so a fragment holding a non-ASCII character (an arrow) does not turn the whole text
 * into a two-byte string, slow to measure and encode; the text between fragments is joined and
 * written as one-byte strings.
 */
class ByteSink implements Sink {
  off = 0
  /** `buf`: where to write first (a larger one is allocated when the text outgrows it) */
  constructor (public buf: Buffer = Buffer.allocUnsafe(32 * 1024)) {}
  private readonly pending: string[] = []

  private ensure (n: number): void {
    if (this.off + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n))
    next.set(this.buf.subarray(0, this.off))
    this.buf = next
  }

  text (s: string): void {
    this.pending.push(s)
  }

  flush (): void {
    const p = this.pending
    if (p.length === 0) return
    const s = p.length === 1 ? p[0] : p.join('')
    p.length = 0
    this.ensure(3 * s.length)
    this.off += this.buf.write(s, this.off)
  }

  fragment (o: object, s: string): void {
    let b = FRAGMENT_BYTES.get(o)
    if (b === undefined) FRAGMENT_BYTES.set(o, b = Buffer.from(s))
    this.flush()
    this.ensure(b.length)
    this.buf.set(b, this.off)
    this.off += b.length
  }
}

/**
 * The UTF-8 bytes of traceJSON(r) (see ByteSink): in `into` when they fit (the result is then a view
 * of it), else in a buffer of their own.
 */
export function traceJSONBytes (r: object, into?: Buffer): Buffer {
  const out = new ByteSink(into)
  object(r, out)
  out.flush()
  return out.buf.subarray(0, out.off)
}
