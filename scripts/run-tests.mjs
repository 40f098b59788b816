// Runs every test file under test/ through node:test + tsx with an explicit file list
// (Node 20 expands no globs, and `tsx --test` without files runs nothing yet exits 0).
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

function collect (dir) {
  const out = []
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry)
    if (statSync(p).isDirectory()) out.push(...collect(p))
    else if (entry.endsWith('.test.ts')) out.push(p)
  }
  return out
}

const filter = process.argv.slice(2)
let files = collect('test')
if (filter.length > 0) files = files.filter(f => filter.some(x => f.includes(x)))
if (files.length === 0) {
  console.error('no test files found')
  process.exit(1)
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' })
process.exit(r.status ?? 1)
