import type { StaticPart } from './skeleton.ts'

/** The static part as a restore-style dump (`*table`, chain lines, rules), tables mangle, filter, nat. */
export function staticDump (s: StaticPart): string {
  const out: string[] = []
  for (const t of ['mangle', 'filter', 'nat'] as const) {
    const chains = s.chains.filter(c => c.table === t)
    const rules = s.rules.filter(r => r.table === t)
    if (chains.length === 0 && rules.length === 0) continue
    out.push(`*${t}`)
    for (const c of chains) out.push(`:${c.chain} - [0:0]`)
    for (const r of rules) out.push(r.text)
    out.push('COMMIT')
  }
  return out.map(l => l + '\n').join('')
}
