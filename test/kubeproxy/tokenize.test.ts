import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tokenize } from '../../src/cluster/kubeproxy/sort.ts'

/** the character-at-a-time reference tokenizer the fast one replaced */
function reference (line: string): string[] {
  const out: string[] = []
  let cur = ''
  let inTok = false
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (quoted) {
      if (ch === '\\' && i + 1 < line.length) { cur += line[++i]; continue }
      if (ch === '"') { quoted = false; out.push(cur); cur = ''; inTok = false; continue }
      cur += ch
      continue
    }
    if (ch === ' ' || ch === '\t') {
      if (inTok) { out.push(cur); cur = ''; inTok = false }
      continue
    }
    if (ch === '"') { quoted = true; inTok = true; continue }
    cur += ch
    inTok = true
  }
  if (inTok) out.push(cur)
  return out
}

test('tokenize agrees with the reference on rule lines and on random quote/escape/space soup', () => {
  const lines = [
    '-A KUBE-SVC-X -m comment --comment "ns/svc:p -> 10.0.0.1:80" -m statistic --mode random --probability 0.5 -j KUBE-SEP-Y',
    '-A X -m comment --comment ns/svc:p -j Y', '', '   ', '""', 'a""b', 'ab"cd"ef gh', '"unterminated x', 'x "a\\"b" y', '"\\', 'a\tb\t\t"c d"\t', '"a\\\\b"'
  ]
  const alphabet = ['a', 'b', ' ', '\t', '"', '\\', '-', 'é']
  let seed = 7
  for (let k = 0; k < 3000; k++) {
    let s = ''
    const len = k % 23
    for (let i = 0; i < len; i++) { seed = (seed * 1103515245 + 12345) & 0x7fffffff; s += alphabet[seed % alphabet.length] }
    lines.push(s)
  }
  for (const l of lines) assert.deepEqual(tokenize(l), reference(l), JSON.stringify(l))
})
