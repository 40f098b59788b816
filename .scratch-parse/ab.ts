import { readFileSync } from 'node:fs'
import { parseRuleset } from '../src/netfilter/parse/ruleset.ts'
import { renderMatch as newM } from '../src/netfilter/render/matches.ts'
import { renderMatch as oldM } from './matches-old.ts'
const rs = parseRuleset(readFileSync('/tmp/big.rules', 'utf8'))
const ms = []
for (const t of rs.tables.values()) for (const c of t.chains.values()) for (const r of c.rules) ms.push(...r.matches)
console.log('matches', ms.length)
for (let k = 0; k < 3; k++) {
  for (const [name, f] of [['old', oldM], ['new', newM]] as const) {
    const c0 = process.cpuUsage(); let n = 0
    for (const m of ms) n += f(m).length
    const c = process.cpuUsage(c0)
    console.log(name, ((c.user + c.system) / 1000).toFixed(0), 'ms cpu', n)
  }
}
