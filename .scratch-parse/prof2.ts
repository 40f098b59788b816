import { parseRuleset } from '../src/netfilter/parse/ruleset.ts'
import { readFileSync } from 'node:fs'
const text = readFileSync('/tmp/big.rules', 'utf8')
for (let i = 0; i < 3; i++) {
  const t = performance.now()
  parseRuleset(text)
  console.log('parse', (performance.now() - t).toFixed(0))
}
