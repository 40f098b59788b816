import { readFileSync } from 'node:fs'
import { parseRuleset } from '../src/netfilter/parse/ruleset.ts'
import { renderRuleset } from '../src/netfilter/render/ruleset.ts'
const rs = parseRuleset(readFileSync('/tmp/big.rules', 'utf8'))
for (let i = 0; i < 3; i++) {
  const c0 = process.cpuUsage()
  const s = renderRuleset(rs)
  const c = process.cpuUsage(c0)
  console.log('render cpu', ((c.user + c.system) / 1000).toFixed(0), s.length)
}
