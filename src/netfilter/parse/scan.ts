/**
 * The restore-line tokenizer used by `parseRuleset`: the rules of `tokenizeLine` (../tokenize.ts, which
 * stays the reference and the public entry point), read straight from the whole text so no per-line
 * string is made.
 *
 * Why it exists: a kube-proxy ruleset repeats the same short words on every line (`-A`, `-m`,
 * `comment`, `--dport`, `tcp`, `80`). V8 copies every substring shorter than 13 characters into a
 * new string; short tokens instead go through a small direct-mapped cache keyed by their length and
 * a few characters, so a repeated word costs no allocation (and equal words are the same string
 * object). Longer tokens are slices, which V8 makes without copying.
 */

import { NetfilterError } from '../errors.ts'
import { MAX_ARGS, MAX_TOKEN, readWord, wordEnd } from '../tokenize.ts'

/** V8 copies substrings shorter than this (longer ones are slices that share the text) */
const SHORT = 13

function isSpace (c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12
}

export class LineScanner {
  /**
   * tokens of the last scanned line (a new array per line: storing young strings into a reused,
   * long-lived array would cost a write barrier per token); only the first `count` entries count
   */
  tokens: string[] = []
  /** 1-based column where each token starts (numbers only, so this array is reused) */
  readonly columns: number[] = []
  count = 0
  private readonly cache: Array<string | undefined>
  private readonly mask: number

  constructor (private readonly text: string) {
    // about one slot per 256 characters of input, between 64 and 2048 slots
    let size = 64
    while (size < 2048 && size * 256 < text.length) size *= 2
    this.cache = new Array(size).fill(undefined)
    this.mask = size - 1
  }

  /**
   * Tokenize `text[start, end)`; `lineStart` is the text index of column 1. Returns the token count
   * (also in `count`). Throws like `tokenizeLine`.
   */
  scan (lineStart: number, start: number, end: number, lineNo: number): number {
    const text = this.text
    const tokens: string[] = this.tokens = new Array(24)
    const columns = this.columns
    let n = 0
    let i = start
    while (i < end) {
      let c = text.charCodeAt(i)
      if (isSpace(c)) { i++; continue }
      const a = i
      let tok: string | undefined
      if (c === 34) {
        // `"words"`: one slice when the quoted part holds no backslash
        let j = a + 1
        for (; j < end; j++) {
          c = text.charCodeAt(j)
          if (c === 34 || c === 92) break
        }
        if (j < end && c === 34) {
          tok = j - a - 1 < SHORT ? this.intern(a + 1, j) : text.slice(a + 1, j)
          i = j + 1
        }
      } else {
        let j = a
        for (; j < end; j++) {
          c = text.charCodeAt(j)
          if (isSpace(c) || c === 34) break
        }
        if (j >= end || c !== 34) {
          tok = j - a < SHORT ? this.intern(a, j) : text.slice(a, j)
          i = j
        }
      }
      if (tok === undefined) {
        // quotes inside the token or escapes: the reference algorithm
        const r = this.general(a, end, lineStart, lineNo)
        tok = r
        i = this.after
      }
      const col = a - lineStart + 1
      if (tok.length > MAX_TOKEN) {
        throw new NetfilterError({ code: 'E_LIMIT', reason: 'Parameter too long!', line: lineNo, column: col, token: tok.slice(0, 32) })
      }
      tokens[n] = tok
      columns[n] = col
      n++
      if (n > MAX_ARGS) {
        throw new NetfilterError({ code: 'E_LIMIT', reason: 'too many arguments', line: lineNo, column: col, token: tok })
      }
    }
    this.count = n
    return n
  }

  /** index just after the token `general` read */
  private after = 0

  /** `add_param_to_argv` for one token starting at `a` (not a blank) */
  private general (a: number, end: number, lineStart: number, lineNo: number): string {
    const tok = readWord(this.text, a, end, lineNo, a - lineStart + 1)
    this.after = wordEnd.at
    return tok
  }

  /**
   * `text[a, b)` (shorter than SHORT) as a string: the cached object when the same characters were
   * seen recently. The slot comes from the length and the first, middle and last two characters.
   */
  private intern (a: number, b: number): string {
    const len = b - a
    const text = this.text
    if (len === 0) return ''
    const h = Math.imul(len * 0x3f1 + text.charCodeAt(a) * 0x10001 + text.charCodeAt(a + (len >> 1)) * 0x3b + text.charCodeAt(b - 1) * 0x7c3 + text.charCodeAt(b - (len > 1 ? 2 : 1)), 0x9e3779b1)
    const idx = (h >>> 16) & this.mask
    const s = this.cache[idx]
    if (s !== undefined && s.length === len) {
      let k = 0
      while (k < len && s.charCodeAt(k) === text.charCodeAt(a + k)) k++
      if (k === len) return s
    }
    const v = text.slice(a, b)
    this.cache[idx] = v
    return v
  }
}
