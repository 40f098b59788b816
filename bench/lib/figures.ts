/**
 * The line protocol between a measurement child and bench/run.ts: each figure is one stdout line
 * `@@figure {json}`; anything else a child prints is kept as its log. Plus small timing/statistics
 * helpers shared by the measurement scripts.
 */
import { readFileSync } from 'node:fs'
import { constants, performance, PerformanceObserver } from 'node:perf_hooks'

export type Op = '<=' | '>='

export interface Target { op: Op, value: number }

export interface Figure {
  /** stable id, e.g. `rules.render.10000` */
  id: string
  /** what was measured, for the table */
  label: string
  value: number
  unit: string
  target?: Target
  /** services in the measured cluster, for the growth table */
  services?: number
  /** a comparison or remark printed next to the figure */
  note?: string
  /** CPU milliseconds behind a wall-time figure (steadier than wall time on a shared machine) */
  cpuMs?: number
}

export interface Skip { id: string, label: string, reason: string }

export const FIGURE_PREFIX = '@@figure '
export const SKIP_PREFIX = '@@skip '

export function emit (f: Figure): void {
  process.stdout.write(FIGURE_PREFIX + JSON.stringify(f) + '\n')
}

export function skip (id: string, label: string, reason: string): void {
  process.stdout.write(SKIP_PREFIX + JSON.stringify({ id, label, reason } satisfies Skip) + '\n')
}

export function verdict (f: Figure): 'PASS' | 'MISS' | '' {
  if (f.target == null) return ''
  const ok = f.target.op === '<=' ? f.value <= f.target.value : f.value >= f.target.value
  return ok ? 'PASS' : 'MISS'
}

/** Parses the figure and skip lines of a child's stdout. */
export function parseOutput (text: string): { figures: Figure[], skips: Skip[], log: string[] } {
  const figures: Figure[] = []
  const skips: Skip[] = []
  const log: string[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith(FIGURE_PREFIX)) figures.push(JSON.parse(line.slice(FIGURE_PREFIX.length)) as Figure)
    else if (line.startsWith(SKIP_PREFIX)) skips.push(JSON.parse(line.slice(SKIP_PREFIX.length)) as Skip)
    else if (line.trim() !== '') log.push(line)
  }
  return { figures, skips, log }
}

export function now (): number { return performance.now() }

/**
 * Milliseconds a synchronous call takes (wall), the CPU milliseconds the process spent meanwhile
 * (user + system, all threads: on a shared machine this is the steadier figure), and its result.
 */
export function timed<T> (fn: () => T): { ms: number, cpuMs: number, value: T } {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const value = fn()
  const ms = performance.now() - t0
  const c = process.cpuUsage(c0)
  return { ms, cpuMs: (c.user + c.system) / 1000, value }
}

/** CPU milliseconds (user + system) used so far by this process's main thread (Linux; NaN elsewhere). */
export function mainThreadCpuMs (): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields[11], fields[12] = utime, stime (14th and 15th of the full line) in clock ticks (100 Hz)
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return Number.NaN
  }
}

export async function timedAsync<T> (fn: () => Promise<T>): Promise<{ ms: number, value: T }> {
  const t0 = performance.now()
  const value = await fn()
  return { ms: performance.now() - t0, value }
}

/** Nearest-rank percentile (p in 0..100) of a non-empty sample. */
export function percentile (xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const rank = Math.ceil(p / 100 * s.length)
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]
}

export function median (xs: number[]): number { return percentile(xs, 50) }

export function rssMiB (): number { return process.memoryUsage().rss / 1048576 }

/** Command-line flags: `--name value` and bare `--flag` (true). */
export function flags (argv: string[] = process.argv.slice(2)): Map<string, string> {
  const out = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) continue
    const next = argv[i + 1]
    if (next !== undefined && !next.startsWith('--')) { out.set(a.slice(2), next); i++ } else out.set(a.slice(2), 'true')
  }
  return out
}

/** Garbage collections of this process while `gcPauses()` watches: count and pause time by kind. */
export interface GcTally { minor: number, minorMs: number, major: number, majorMs: number, maxMs: number }

/** Starts counting this process's GC pauses; the returned function stops and gives the tally. */
export function gcPauses (): () => GcTally {
  const t: GcTally = { minor: 0, minorMs: 0, major: 0, majorMs: 0, maxMs: 0 }
  const obs = new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      // detail.kind: 1 scavenge (young generation); 2/4/… mark-compact, incremental marking, weak callbacks
      const minor = (e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR
      if (minor) { t.minor++; t.minorMs += e.duration } else { t.major++; t.majorMs += e.duration }
      t.maxMs = Math.max(t.maxMs, e.duration)
    }
  })
  obs.observe({ entryTypes: ['gc'] })
  return () => { obs.disconnect(); return t }
}
