/**
 * The iptables-restore line tokenizer (`add_param_to_argv`): whitespace separates tokens; `"` opens a
 * quoted token in which `\x` yields `x`; a closing `"` ends the token immediately. Outside quotes every
 * other character (backslash and `'` included) is literal.
 */

import { NetfilterError } from './errors.ts'

/** iptables' limits: MAX_ARGC and the parameter buffer size. */
export const MAX_ARGS = 255
export const MAX_TOKEN = 1024
export const MAX_LINE = 10240

export interface Tokens {
  tokens: string[]
  /** 1-based column where each token starts */
  columns: number[]
}

function isSpace (c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12
}

/** Where the last readWord call stopped (a holder, so the scanner's hot path allocates nothing). */
export const wordEnd = { at: 0 }

/**
 * Reads one token of `text` starting at `a` (not a blank) and ending before a blank or `end`, with
 * the quoting rules above; sets wordEnd.at to the index after it. An unterminated quote is an error
 * reported at `column` of line `lineNo`.
 */
export function readWord (text: string, a: number, end: number, lineNo: number, column: number): string {
  let i = a
  let tok = ''
  let segStart = i
  let quoted = false
  while (i < end) {
    const c = text.charCodeAt(i)
    if (!quoted) {
      if (isSpace(c)) break
      if (c === 34) {
        tok += text.slice(segStart, i)
        quoted = true
        i++
        segStart = i
        continue
      }
      i++
    } else {
      if (c === 92 /* \ */) {
        tok += text.slice(segStart, i)
        i++
        if (i < end) { tok += text[i]; i++ }
        segStart = i
        continue
      }
      if (c === 34) {
        tok += text.slice(segStart, i)
        i++
        segStart = i
        quoted = false
        break
      }
      i++
    }
  }
  if (segStart < i) tok += text.slice(segStart, quoted ? end : i)
  if (quoted) {
    throw new NetfilterError({ code: 'E_PARSE', reason: 'Unterminated quoted string', line: lineNo, column, token: tok })
  }
  wordEnd.at = i
  return tok
}

/** Tokenize `line` from index `start`; columns are reported relative to the full line. */
export function tokenizeLine (line: string, lineNo: number, start = 0): Tokens {
  const tokens: string[] = []
  const columns: number[] = []
  const n = line.length
  let i = start
  while (i < n) {
    const c = line.charCodeAt(i)
    if (isSpace(c)) { i++; continue }
    const col = i + 1
    const tok = readWord(line, i, n, lineNo, col)
    i = wordEnd.at
    if (tok.length > MAX_TOKEN) {
      throw new NetfilterError({ code: 'E_LIMIT', reason: 'Parameter too long!', line: lineNo, column: col, token: tok.slice(0, 32) })
    }
    tokens.push(tok)
    columns.push(col)
    if (tokens.length > MAX_ARGS) {
      throw new NetfilterError({ code: 'E_LIMIT', reason: 'too many arguments', line: lineNo, column: col, token: tok })
    }
  }
  return { tokens, columns }
}
