/**
 * The real kernel tools, only inside a network namespace this process creates
 * (`kns-bench-<random>`) and deletes afterwards. Root only; never touches the host's own rules.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { openSync, closeSync } from 'node:fs'
import { performance } from 'node:perf_hooks'

export function kernelToolsMissing (): string | null {
  if (process.getuid?.() !== 0) return 'not root: the iptables side-by-side needs root (it works only inside a namespace it creates)'
  for (const tool of ['ip', 'iptables-restore', 'iptables-save']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`
  }
  return null
}

export interface ToolRun {
  /** wall time from spawn to exit */
  ms: number
  /** CPU time (user + system) of the tool, from bash's `times` (NaN if unreadable) */
  cpuMs: number
  code: number
  stdout: string
  stderr: string
}

function seconds (t: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(t)
  return m == null ? Number.NaN : Number(m[1]) * 60 + Number(m[2])
}

/**
 * Runs `ip netns exec NS cmd args` with stdin from a file, under bash so that `times` reports the
 * tool's CPU time (netlink work done in the kernel on its behalf counts as its system time).
 */
export async function execIn (ns: string, cmd: string, args: string[], stdinFile?: string): Promise<ToolRun> {
  const fd = stdinFile != null ? openSync(stdinFile, 'r') : 'ignore'
  const t0 = performance.now()
  return await new Promise((resolve, reject) => {
    const p = spawn('bash', ['-c', 'ip netns exec "$@"; rc=$?; times >&2; exit $rc', 'bash', ns, cmd, ...args], { stdio: [fd, 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    p.stdout?.on('data', (b: Buffer) => out.push(b))
    p.stderr?.on('data', (b: Buffer) => err.push(b))
    p.on('error', reject)
    p.on('close', code => {
      const ms = performance.now() - t0
      if (typeof fd === 'number') closeSync(fd)
      const lines = Buffer.concat(err).toString().trimEnd().split('\n')
      const children = (lines.pop() ?? '').trim().split(/\s+/)
      lines.pop() // the shell's own times
      const cpuMs = (seconds(children[0] ?? '') + seconds(children[1] ?? '')) * 1000
      resolve({ ms, cpuMs, code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: lines.join('\n') })
    })
  })
}

const live = new Set<string>()
let handlers = false

/** On SIGTERM/SIGINT (bench/run.ts's timeout) delete our namespaces before exiting. */
function cleanupOnSignal (): void {
  if (handlers) return
  handlers = true
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      for (const ns of live) spawnSync('ip', ['netns', 'del', ns])
      process.exit(128 + (sig === 'SIGTERM' ? 15 : 2))
    })
  }
}

/** Creates a fresh namespace, runs `fn` in it, always deletes it (also when the process is told to stop). */
export async function withNetns<T> (fn: (ns: string) => Promise<T>): Promise<T> {
  cleanupOnSignal()
  const ns = `kns-bench-${randomBytes(4).toString('hex')}`
  const add = spawnSync('ip', ['netns', 'add', ns])
  if (add.status !== 0) throw new Error(`ip netns add ${ns}: ${add.stderr.toString().trim()}`)
  live.add(ns)
  try {
    return await fn(ns)
  } finally {
    spawnSync('ip', ['netns', 'del', ns])
    live.delete(ns)
  }
}

/** iptables-save text without its `#` comment lines (the date differs between runs). */
export function withoutComments (text: string): string[] {
  return text.split('\n').filter(l => !l.startsWith('#') && l !== '')
}

/** Lines only in a, lines only in b (multiset difference), for a quick equality report. */
export function lineDiff (a: string[], b: string[]): { onlyA: string[], onlyB: string[] } {
  const count = new Map<string, number>()
  for (const l of a) count.set(l, (count.get(l) ?? 0) + 1)
  const onlyB: string[] = []
  for (const l of b) {
    const c = count.get(l) ?? 0
    if (c > 0) count.set(l, c - 1)
    else onlyB.push(l)
  }
  const onlyA: string[] = []
  for (const [l, c] of count) for (let i = 0; i < c; i++) onlyA.push(l)
  return { onlyA, onlyB }
}
