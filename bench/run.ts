/**
 * `npm run bench`: runs each measurement in its own child process (a failure or a timeout stops only
 * that one), then prints the machine and one table: each figure, its target and PASS/MISS.
 *
 *   npm run bench                       core figures + the component scripts
 *   npm run bench -- --quick            small sizes only (about a minute); with --only, the
 *                                       named jobs at their small sizes
 *   npm run bench -- --growth           also 100 / 3,000 / 30,000 services (growth table + plot)
 *   npm run bench -- --only http,scale-1k   jobs whose name contains one of the words
 *   npm run bench -- --save             write bench/results/latest.{json,md}, growth.png and the
 *                                       generated part of BENCHMARKS.md
 *   npm run bench -- --list             list the jobs
 *
 * Children speak the `@@figure {json}` protocol of bench/lib/figures.ts; the older component scripts
 * that print prose are read by the extractors below (an unreadable output is reported, not fatal).
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { flags, parseOutput, verdict, type Figure, type Skip } from './lib/figures.ts'
import { describeMachine, loadText, machineLine, type Machine } from './lib/machine.ts'
import { growthMarkdown, growthRows, GROWTH_SERIES } from './lib/growth.ts'
import { plotGrowth } from './lib/plot.ts'
import { anchorsMarkdown } from './lib/anchors.ts'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx')

type Extract = (out: string) => Figure[]

interface Job {
  name: string
  script: string
  args: string[]
  quickArgs?: string[]
  timeoutS: number
  /** core (always), growth (--growth), component (not in --quick) */
  group: 'core' | 'growth' | 'component'
  inQuick?: boolean
  extract?: Extract
  what: string
}

const num = (s: string | undefined): number => Number(s)

/** bench/engine-parse.ts (prose): parse and render medians of a synthetic 10k × 5 ruleset. */
/** `ruleset: 10000 services, 50000 endpoints` of the engine scripts: the shape, and whether it is the issue's */
function engineShape (out: string): { text: string, services: number, issue: boolean } {
  const m = /ruleset: (\d+) services, (\d+) endpoints/.exec(out)
  const s = m != null ? num(m[1]) : 10000
  const e = m != null ? num(m[2]) : 50000
  return { text: `${s.toLocaleString('en-US')} svc / ${e.toLocaleString('en-US')} ep`, services: s, issue: s === 10000 && e === 50000 }
}

const engineParse: Extract = out => {
  const figs: Figure[] = []
  const sh = engineShape(out)
  const p = /parse\s+median wall (\d+) ms, cpu (\d+) ms/.exec(out)
  const r = /render median wall (\d+) ms, cpu (\d+) ms/.exec(out)
  const lines = /(\d+) lines/.exec(out)?.[1]
  if (p != null) figs.push({ id: 'component.engine-parse.parse', label: `engine-parse.ts: parse (eager) a synthetic ${sh.text} ruleset, median`, value: num(p[1]), cpuMs: num(p[2]), unit: 'ms', services: sh.services, note: `CPU ${p[2]} ms${lines != null ? `, ${lines} lines` : ''}` })
  if (r != null) figs.push({ id: 'component.engine-parse.render', label: 'engine-parse.ts: render it back (iptables-save form), median', value: num(r[1]), cpuMs: num(r[2]), unit: 'ms', services: sh.services, note: `CPU ${r[2]} ms` })
  return figs
}

/** bench/engine-eval.ts (prose): parse + prepare and sampled traces of a synthetic 10k × 5 ruleset. */
const engineEval: Extract = out => {
  const figs: Figure[] = []
  const sh = engineShape(out)
  const eager = /^mode: eager/m.test(out)
  const id = eager ? 'component.engine-eval.eager' : 'component.engine-eval'
  const mode = eager ? 'eager parse' : 'lazy parse'
  const t = (value: number): Figure['target'] => sh.issue ? { op: '<=', value } : undefined
  const pp = /parse: (\d+) ms wall \((\d+) ms CPU\), prepare: (\d+) ms wall \((\d+) ms CPU\)/.exec(out)
  const loop = /trace loop: ([\d.]+) µs CPU per trace on average incl\. GC \(([\d.]+) µs wall\)/.exec(out)
  const cold = /first visit of a service: median ([\d.]+) µs, p99 ([\d.]+) µs/.exec(out)
  const warm = /warm: median ([\d.]+) µs, p99 ([\d.]+) µs/.exec(out)
  const full = /trace \(sample, full detail\): median ([\d.]+) µs/.exec(out)
  if (pp != null) figs.push({ id: `${id}.parse-prepare`, label: `engine-eval.ts (${mode}): parse + prepare a synthetic ${sh.text} ruleset`, value: num(pp[1]) + num(pp[3]), cpuMs: num(pp[2]) + num(pp[4]), unit: 'ms', services: sh.services, target: t(1000), note: `parse ${pp[1]} + prepare ${pp[3]} ms wall; CPU ${num(pp[2]) + num(pp[4])} ms` })
  if (cold != null) figs.push({ id: `${id}.trace`, label: `engine-eval.ts (${mode}): one sampled trace (first visit of a service), median`, value: num(cold[1]), unit: 'µs', services: sh.services, target: t(50), note: `p99 ${cold[2]} µs` })
  if (warm != null) figs.push({ id: `${id}.trace-warm`, label: `engine-eval.ts (${mode}): one sampled trace (warm), median`, value: num(warm[1]), unit: 'µs', services: sh.services, note: `p99 ${warm[2]} µs` })
  if (loop != null) figs.push({ id: `${id}.trace-cpu`, label: `engine-eval.ts (${mode}): CPU per sampled trace, loop average incl. GC`, value: num(loop[1]), unit: 'µs', services: sh.services, note: `${loop[2]} µs wall` })
  if (full != null) figs.push({ id: `${id}.trace-full`, label: `engine-eval.ts (${mode}): sampled trace with full detail, median`, value: num(full[1]), unit: 'µs', services: sh.services })
  return figs
}

/** bench/rules.ts (prose): a block of lines per size. */
const rules: Extract = out => {
  const figs: Figure[] = []
  const span = '(\\d+) ms \\(cpu (\\d+)\\)'
  const re = new RegExp(`(\\d+) services × 10 endpoints \\((\\d+) save lines[^\\n]*\\n\\s+full render:\\s+rules \\+ restore data ${span} \\(joined into one string: ${span}\\), then save view ${span}\\n\\s+1 change \\((\\d+) service rebuilt\\): rules ${span} \\+ restore data ${span} in (\\d+) pieces \\(joined into one string: ${span}\\), save view pieces ${span} \\+ join ${span}\\n\\s+RSS (\\d+) MiB`, 'g')
  for (const m of out.matchAll(re)) {
    const n = num(m[1])
    const at10k = n === 10000
    const v = (i: number): number => num(m[i])
    figs.push({ id: `component.rules.render.${n}`, label: `rules.ts: full render (rules + restore data, as the pieces the server streams), ${n.toLocaleString('en-US')} svc × 10 ep`, value: v(3), cpuMs: v(4), unit: 'ms', services: n, target: at10k ? { op: '<=', value: 1000 } : undefined, note: `CPU ${v(4)} ms; joined into one string ${v(5)} ms more; save view ${v(7)} ms (CPU ${v(8)})` })
    figs.push({ id: `component.rules.incremental.${n}`, label: `rules.ts: re-render after 1 change (rules + restore data, as the pieces the server streams), ${n.toLocaleString('en-US')} svc`, value: v(10) + v(12), cpuMs: v(11) + v(13), unit: 'ms', services: n, target: at10k ? { op: '<=', value: 50 } : undefined, note: `${m[9]} rebuilt; CPU ${v(11) + v(13)} ms; ${m[14]} pieces; joined into one string ${v(15)} ms more; save view pieces ${v(17)} + join ${v(19)} ms` })
    figs.push({ id: `component.rules.rss.${n}`, label: `rules.ts: process RSS after ${n.toLocaleString('en-US')} svc (a process per size)`, value: v(21), unit: 'MiB', services: n, target: at10k ? { op: '<=', value: 400 } : undefined })
  }
  return figs
}

/** bench/create-service.ts (prose): sequential singles and batches of 100 on an empty cluster. */
const createService: Extract = out => {
  const figs: Figure[] = []
  const s = /single create \(sequential, n=(\d+)\): p50 ([\d.]+) ms, p95 ([\d.]+) ms, p99 ([\d.]+) ms/.exec(out)
  const b = /whole batch ([\d.]+) ms on average \((\d+) creates\/s\)/.exec(out)
  if (s != null) figs.push({ id: 'component.create-service.single', label: 'create-service.ts: create one Service on an empty cluster, p50', value: num(s[2]), unit: 'ms', note: `p99 ${s[4]} ms, n=${s[1]}` })
  if (b != null) figs.push({ id: 'component.create-service.batch', label: 'create-service.ts: 100 concurrent creates, whole batch', value: num(b[1]), unit: 'ms', note: `${b[2]} creates/s` })
  return figs
}

/** bench/graphql.ts (prose): `name   median X ms   p95 Y ms` lines. */
const graphql: Extract = out => {
  const figs: Figure[] = []
  for (const m of out.matchAll(/^(.+?)\s+median ([\d.]+) ms\s+p95 ([\d.]+) ms$/gm)) {
    const name = m[1].trim()
    figs.push({ id: `component.graphql.${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`, label: `graphql.ts: ${name}, median`, value: num(m[2]), unit: 'ms', note: `p95 ${m[3]} ms` })
  }
  return figs
}

const JOBS: Job[] = [
  { name: 'scale-1k', group: 'core', inQuick: true, script: 'bench/scale.ts', args: ['--services', '1000', '--endpoints', '10', '--kernel', '--kernel-sync'], quickArgs: ['--services', '1000', '--endpoints', '10', '--kernel'], timeoutS: 420, what: 'rules, engine and the real iptables tools at 1,000 services × 10 endpoints' },
  { name: 'scale-10k', group: 'core', script: 'bench/scale.ts', args: ['--services', '10000', '--endpoints', '10', '--kernel'], timeoutS: 600, what: 'rules (targets), engine and the real iptables tools at 10,000 services × 10 endpoints' },
  { name: 'engine-10k', group: 'core', script: 'bench/scale.ts', args: ['--services', '10000', '--endpoints', '5', '--no-rules'], timeoutS: 420, what: 'engine targets at 10,000 services / 50,000 endpoints' },
  { name: 'http', group: 'core', inQuick: true, script: 'bench/http.ts', args: ['--seconds', '5'], quickArgs: ['--services', '300', '--seconds', '2'], timeoutS: 600, what: 'HTTP: manifest apply, trace load at 10/50 connections, GraphQL, creates on a 1,000-service cluster' },
  { name: 'scale-100', group: 'growth', script: 'bench/scale.ts', args: ['--services', '100', '--endpoints', '10', '--kernel', '--kernel-sync'], timeoutS: 300, what: 'growth point: 100 services' },
  { name: 'scale-3k', group: 'growth', script: 'bench/scale.ts', args: ['--services', '3000', '--endpoints', '10', '--kernel'], timeoutS: 420, what: 'growth point: 3,000 services' },
  { name: 'scale-30k', group: 'growth', script: 'bench/scale.ts', args: ['--services', '30000', '--endpoints', '10', '--kernel'], timeoutS: 900, what: 'growth point: 30,000 services' },
  { name: 'c-engine-parse', group: 'component', script: 'bench/engine-parse.ts', args: ['10000', '5', '3'], quickArgs: ['1000', '5', '1'], timeoutS: 300, extract: engineParse, what: 'component: engine parse/render (synthetic text)' },
  { name: 'c-engine-eval', group: 'component', script: 'bench/engine-eval.ts', args: ['10000', '5', '20000'], quickArgs: ['1000', '5', '2000'], timeoutS: 300, extract: engineEval, what: 'component: engine evaluation (synthetic text, lazy parse: the default)' },
  { name: 'c-engine-eval-eager', group: 'component', script: 'bench/engine-eval.ts', args: ['10000', '5', '20000', '--eager'], quickArgs: ['1000', '5', '2000', '--eager'], timeoutS: 300, extract: engineEval, what: 'component: engine evaluation (synthetic text, eager parse)' },
  { name: 'c-rules', group: 'component', script: 'bench/rules.ts', args: ['1000', '10000'], quickArgs: ['300'], timeoutS: 420, extract: rules, what: 'component: rule generator' },
  { name: 'c-trace', group: 'component', script: 'bench/trace.ts', args: ['--seconds', '5'], quickArgs: ['--services', '300', '--seconds', '2'], timeoutS: 600, what: 'component: cluster traces over HTTP' },
  { name: 'c-graphql', group: 'component', script: 'bench/graphql.ts', args: ['200', '100'], quickArgs: ['20', '10'], timeoutS: 300, extract: graphql, what: 'component: GraphQL vs REST latency on the demo cluster' },
  { name: 'c-create-service', group: 'component', script: 'bench/create-service.ts', args: ['100', '3'], quickArgs: ['20', '1'], timeoutS: 300, extract: createService, what: 'component: create-service on an empty cluster' }
]

interface JobResult {
  name: string
  what: string
  command: string
  status: 'ok' | 'failed' | 'timeout' | 'missing'
  code: number | null
  seconds: number
  loadAtStart: string
  figures: Figure[]
  skips: Skip[]
  log: string[]
  stderr: string
}

async function runJob (job: Job, quick: boolean): Promise<JobResult> {
  const args = quick && job.quickArgs != null ? job.quickArgs : job.args
  const command = `npx tsx ${job.script} ${args.join(' ')}`
  const base = { name: job.name, what: job.what, command, loadAtStart: loadText(), figures: [] as Figure[], skips: [] as Skip[], log: [] as string[], stderr: '' }
  if (!existsSync(join(ROOT, job.script))) return { ...base, status: 'missing', code: null, seconds: 0 }
  const t0 = performance.now()
  return await new Promise(resolve => {
    const child = spawn(TSX, [job.script, ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (b: Buffer) => { out += b.toString() })
    child.stderr.on('data', (b: Buffer) => { err += b.toString() })
    let timedOut = false
    // at the timeout: SIGTERM to the child's process group (scale.ts then deletes its namespaces), SIGKILL 10 s later
    const timer = setTimeout(() => {
      timedOut = true
      try { process.kill(-child.pid!, 'SIGTERM') } catch {}
      setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch {} }, 10_000).unref()
    }, job.timeoutS * 1000)
    child.on('close', code => {
      clearTimeout(timer)
      const parsed = parseOutput(out)
      const figures = [...parsed.figures, ...(job.extract != null ? job.extract(out) : [])]
      const status = timedOut ? 'timeout' : code === 0 ? 'ok' : 'failed'
      resolve({ ...base, status, code, seconds: (performance.now() - t0) / 1000, figures, skips: parsed.skips, log: parsed.log, stderr: err.trim().split('\n').slice(-8).join('\n') })
    })
  })
}

function fmtValue (f: Figure): string {
  if (f.unit === 'bool') return f.value >= 1 ? 'yes' : 'no'
  const v = Math.abs(f.value) >= 100 ? Math.round(f.value).toLocaleString('en-US') : String(f.value)
  return `${v} ${f.unit}`
}

function fmtTarget (f: Figure): string {
  if (f.target == null) return ''
  if (f.unit === 'bool') return 'yes'
  return `${f.target.op === '<=' ? '≤' : '≥'} ${f.target.value.toLocaleString('en-US')} ${f.unit}`
}

function pad (s: string, n: number): string { return s.length >= n ? s : s + ' '.repeat(n - s.length) }

function textTable (rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
  return rows.map(r => r.map((c, i) => pad(c, widths[i])).join('  ').trimEnd()).join('\n')
}

function mdEscape (s: string): string { return s.replace(/\|/g, '\\|') }

function markdown (machine: Machine, results: JobResult[], quick: boolean): string {
  const args = process.argv.slice(2).filter(a => a !== '--save')
  const out: string[] = []
  out.push(`Run: \`npm run bench${args.length > 0 ? ' -- ' + args.join(' ') : ''}\`${quick ? ' (quick)' : ''}`)
  out.push('')
  out.push(`Machine: ${machineLine(machine)}`)
  out.push('')
  out.push('Times are wall-clock; "CPU" in a note is the CPU time behind it (user + system), the steadier figure on a shared machine.')
  for (const r of results) {
    out.push('')
    out.push(`**${r.name}** — ${r.what}. \`${r.command}\` — load average ${r.loadAtStart} at its start, ${r.status === 'ok' ? 'ran' : `**${r.status.toUpperCase()}**${r.code != null ? ` (exit ${r.code})` : ''} after`} ${r.seconds.toFixed(0)} s.`)
    if (r.figures.length === 0 && r.skips.length === 0 && !r.name.startsWith('c-')) continue
    out.push('')
    out.push('| Figure | Value | Target | |')
    out.push('|---|---:|---|---|')
    for (const f of r.figures) out.push(`| ${mdEscape(f.label)}${f.note != null ? ` — ${mdEscape(f.note)}` : ''} | ${fmtValue(f)} | ${fmtTarget(f)} | ${verdict(f)} |`)
    for (const s of r.skips) out.push(`| ${mdEscape(s.label)} | skipped: ${mdEscape(s.reason)} | | |`)
    if (r.name.startsWith('c-') && r.log.length > 0) out.push('', '<details><summary>its output</summary>', '', '```', ...r.log.slice(0, 40), '```', '</details>')
  }
  return out.join('\n') + '\n'
}

async function main (): Promise<void> {
  const f = flags()
  const quick = f.has('quick')
  const growth = f.has('growth')
  const only = f.get('only')?.split(',').map(s => s.trim()).filter(s => s !== '')
  if (f.has('list')) {
    for (const j of JOBS) console.log(`${pad(j.name, 18)} ${pad(j.group, 10)} ${j.what}\n${' '.repeat(30)}npx tsx ${j.script} ${j.args.join(' ')}`)
    return
  }
  const jobs = JOBS.filter(j => {
    if (only != null) return only.some(w => j.name.includes(w))
    if (quick) return j.inQuick === true
    return j.group !== 'growth' || growth
  })
  const machine = describeMachine()
  console.log(`kubenetsim benchmarks — ${machineLine(machine)}`)
  console.log(`jobs: ${jobs.map(j => j.name).join(', ')}${quick ? ' (quick)' : ''}\n`)
  const results: JobResult[] = []
  for (const job of jobs) {
    process.stdout.write(`▸ ${pad(job.name, 16)} load ${loadText()} … `)
    const r = await runJob(job, quick)
    results.push(r)
    console.log(`${r.status} in ${r.seconds.toFixed(1)} s, ${r.figures.length} figures${r.skips.length > 0 ? `, ${r.skips.length} skipped` : ''}`)
    if (r.status !== 'ok' && r.status !== 'missing') console.log(`    ${(r.stderr !== '' ? r.stderr : r.log.slice(-5).join('\n')).split('\n').join('\n    ')}`)
  }

  const rows: string[][] = [['figure', 'value', 'target', '', 'job']]
  for (const r of results) {
    for (const fig of r.figures) rows.push([fig.label, fmtValue(fig), fmtTarget(fig), verdict(fig), r.name])
    for (const s of r.skips) rows.push([s.label, 'skipped', '', '', `${r.name}: ${s.reason}`])
    if (r.status !== 'ok') rows.push([r.what, r.status.toUpperCase(), '', '', r.name])
  }
  console.log('\n' + textTable(rows))
  const all = results.flatMap(r => r.figures)
  const pass = all.filter(x => verdict(x) === 'PASS').length
  const miss = all.filter(x => verdict(x) === 'MISS')
  console.log(`\n${pass} PASS, ${miss.length} MISS${miss.length > 0 ? ': ' + miss.map(x => x.id).join(', ') : ''}; load average at the end ${loadText(loadavg())}`)

  const grow = growthRows(all)
  if (grow.length > 1) console.log('\ngrowth (services × 10 endpoints):\n' + growthMarkdown(grow))

  if (f.has('save')) {
    const dir = join(ROOT, 'bench', 'results')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'latest.json'), JSON.stringify({ machine, argv: process.argv.slice(2), endLoad: loadavg(), results }, null, 2) + '\n')
    const anchors = anchorsMarkdown(all)
    const md = markdown(machine, results, quick) + (anchors !== '' ? '\nNext to the published anchors (shared/docs/performance-anchors.md):\n\n' + anchors : '') + (grow.length > 1 ? '\nGrowth (services × 10 endpoints; wall ms, CPU ms in brackets; the plot shows CPU time where measured):\n\n' + growthMarkdown(grow) + '\n![growth](bench/results/growth.png)\n' : '')
    writeFileSync(join(dir, 'latest.md'), md)
    if (grow.length > 1) {
      try { writeFileSync(join(dir, 'growth.png'), plotGrowth(grow, GROWTH_SERIES)) } catch (e) { console.log(`growth plot failed: ${(e as Error).message}`) }
    }
    const bm = join(ROOT, 'BENCHMARKS.md')
    if (existsSync(bm)) {
      const text = readFileSync(bm, 'utf8')
      const a = text.indexOf('<!-- bench:begin -->')
      const b = text.indexOf('<!-- bench:end -->')
      if (a >= 0 && b > a) writeFileSync(bm, text.slice(0, a) + '<!-- bench:begin -->\n' + md + text.slice(b))
    }
    console.log(`\nsaved bench/results/latest.json, latest.md${grow.length > 1 ? ', growth.png' : ''} and the generated part of BENCHMARKS.md`)
  }
}

await main()
