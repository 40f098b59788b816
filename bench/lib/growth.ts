/** The growth table: each main figure per cluster size (services × 10 endpoints), from scale.ts figures. */
import type { Figure } from './figures.ts'

export interface Series {
  /** figure id prefix, e.g. `rules.render` */
  prefix: string
  /** column title */
  title: string
  /** multiply the figure by this to get milliseconds (µs → 0.001); null = not a time (not plotted) */
  toMs: number | null
  color: [number, number, number]
}

export const GROWTH_SERIES: Series[] = [
  { prefix: 'rules.render', title: 'full render', toMs: 1, color: [31, 119, 180] },
  { prefix: 'rules.save', title: 'save view', toMs: 1, color: [44, 160, 44] },
  { prefix: 'rules.incremental', title: 're-render after 1 change', toMs: 1, color: [255, 127, 14] },
  { prefix: 'engine.parse-prepare', title: 'parse + prepare', toMs: 1, color: [148, 103, 189] },
  { prefix: 'engine.trace-sample', title: 'sampled trace (engine)', toMs: 0.001, color: [140, 86, 75] },
  { prefix: 'kernel.restore', title: 'real iptables-restore', toMs: 1, color: [214, 39, 40] },
  { prefix: 'kernel.save', title: 'real iptables-save', toMs: 1, color: [227, 119, 194] },
  { prefix: 'kernel.sync', title: 'real sync (--noflush)', toMs: 1, color: [127, 127, 127] },
  { prefix: 'rules.rss', title: 'RSS MiB', toMs: null, color: [0, 0, 0] }
]

export interface GrowthRow { services: number, values: Map<string, number>, cpu: Map<string, number> }

export function growthRows (figs: Figure[]): GrowthRow[] {
  const rows = new Map<number, GrowthRow>()
  for (const f of figs) {
    const m = /^([a-z-]+\.[a-z-]+)\.(\d+)x10$/.exec(f.id)
    if (m == null) continue
    const s = GROWTH_SERIES.find(x => x.prefix === m[1])
    if (s == null) continue
    const n = Number(m[2])
    let r = rows.get(n)
    if (r == null) rows.set(n, r = { services: n, values: new Map(), cpu: new Map() })
    r.values.set(s.prefix, f.value)
    if (f.cpuMs != null) r.cpu.set(s.prefix, f.cpuMs)
  }
  return [...rows.values()].sort((a, b) => a.services - b.services)
}

const num = (v: number): string => v >= 100 ? Math.round(v).toLocaleString('en-US') : String(v)

function cell (v: number | undefined, s: Series, cpu?: number): string {
  if (v == null) return '–'
  if (s.prefix === 'engine.trace-sample') return `${v} µs`
  return cpu != null ? `${num(v)} (${num(cpu)})` : num(v)
}

/**
 * Markdown table (wall time, CPU time in brackets), plus the exponent k of time ∝ services^k between
 * 1,000 services and the largest size (on CPU time where measured).
 */
export function growthMarkdown (rows: GrowthRow[]): string {
  const cols = GROWTH_SERIES.filter(s => rows.some(r => r.values.has(s.prefix)))
  const out = [`| services | ${cols.map(c => c.title).join(' | ')} |`, `|---:|${cols.map(() => '---:').join('|')}|`]
  for (const r of rows) out.push(`| ${r.services.toLocaleString('en-US')} | ${cols.map(c => cell(r.values.get(c.prefix), c, r.cpu.get(c.prefix))).join(' | ')} |`)
  const slope = cols.map(c => {
    const pts = rows.filter(r => r.values.has(c.prefix) && r.services >= 1000)
    if (pts.length < 2) return '–'
    const a = pts[0]
    const b = pts[pts.length - 1]
    const v = (r: GrowthRow): number => r.cpu.get(c.prefix) ?? r.values.get(c.prefix)!
    const k = Math.log(v(b) / v(a)) / Math.log(b.services / a.services)
    return `n^${k.toFixed(2)}`
  })
  out.push(`| growth from 1,000 up | ${slope.join(' | ')} |`)
  return out.join('\n') + '\n'
}
