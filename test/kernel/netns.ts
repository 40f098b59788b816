/**
 * Network-namespace lab for the kernel differential tests.
 *
 * Every namespace this harness creates is named `kns-kt<pid>-<random>-<role>`: the `kns-` prefix the
 * project reserves, this process's pid (so a later run can tell a crashed run's leftovers from a live
 * run's namespaces) and a random suffix (so parallel test files never collide). A `Lab` records every
 * namespace and child process it starts; `withLab` always tears them down, also when the test throws.
 * `cleanupStale` removes `kns-kt*` namespaces whose owning pid is gone (an earlier crashed run); it
 * never touches namespaces of live processes or other helpers' `kns-` names.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export class CommandError extends Error {
  constructor (readonly argv: string[], readonly result: RunResult) {
    super(`command failed (${result.code}): ${argv.join(' ')}\n${result.stderr.trim()}`)
  }
}

/** Runs a command synchronously; `check` (default) throws CommandError on a non-zero exit. */
export function run (argv: string[], opts: { input?: string, check?: boolean, timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(argv[0], argv.slice(1), {
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
    maxBuffer: 64 * 1024 * 1024
  })
  const result: RunResult = {
    code: r.status ?? (r.error !== undefined ? 127 : 1),
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '') + (r.error !== undefined ? String(r.error.message) : '')
  }
  if ((opts.check ?? true) && result.code !== 0) throw new CommandError(argv, result)
  return result
}

function has (cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0
}

let cachedReason: string | null | undefined

/**
 * Why kernel tests cannot run here, or null when they can. Checks root, `ip netns`, iptables-nft
 * tools and that a namespace can actually be created. Under `CI=true` as root a missing tool is an
 * error (CI must run these tests), so this throws instead of returning a reason.
 */
export function kernelSkipReason (): string | null {
  if (cachedReason !== undefined) return cachedReason
  const problems: string[] = []
  const uid = process.getuid?.() ?? -1
  if (uid !== 0) problems.push(`not root (uid ${uid})`)
  for (const tool of ['ip', 'iptables-restore', 'iptables-save', 'xtables-monitor']) {
    if (!has(tool)) problems.push(`${tool} missing`)
  }
  if (problems.length === 0) {
    const v = run(['iptables-restore', '--version'], { check: false })
    if (!v.stdout.includes('nf_tables')) problems.push(`iptables-restore is not the nf_tables variant (${v.stdout.trim()})`)
  }
  if (problems.length === 0) {
    const probe = `kns-kt${process.pid}-${randomBytes(3).toString('hex')}-probe`
    const r = run(['ip', 'netns', 'add', probe], { check: false })
    if (r.code !== 0) problems.push(`cannot create a network namespace (${r.stderr.trim()})`)
    else run(['ip', 'netns', 'del', probe], { check: false })
  }
  if (problems.length === 0) {
    cachedReason = null
    return null
  }
  const reason = `kernel differential tests skipped: ${problems.join('; ')} (need root, iproute2 and iptables-nft 1.8.9)`
  if (process.env.CI === 'true' && uid === 0) {
    throw new Error(`CI=true as root but the kernel harness cannot run: ${problems.join('; ')}`)
  }
  cachedReason = reason
  return reason
}

function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function listNamespaces (): string[] {
  try {
    return readdirSync('/var/run/netns')
  } catch {
    return []
  }
}

/** Kills every process inside a namespace and deletes it; never throws. */
export function destroyNamespace (ns: string): void {
  const pids = run(['ip', 'netns', 'pids', ns], { check: false }).stdout.split(/\s+/).filter(Boolean)
  for (const p of pids) {
    try { process.kill(Number(p), 'SIGKILL') } catch { /* already gone */ }
  }
  run(['ip', 'netns', 'del', ns], { check: false })
}

/** Removes namespaces left by crashed earlier runs of this harness (owner pid gone). */
export function cleanupStale (): string[] {
  const removed: string[] = []
  for (const ns of listNamespaces()) {
    const m = /^kns-kt(\d+)-/.exec(ns)
    if (m === null) continue
    const pid = Number(m[1])
    if (pid === process.pid || pidAlive(pid)) continue
    destroyNamespace(ns)
    removed.push(ns)
  }
  return removed
}

export interface Background {
  proc: ChildProcess
  /** everything written to stdout so far */
  out: () => string
  err: () => string
  /** resolves when stdout contains `text` (or rejects after timeoutMs) */
  waitFor: (pred: (out: string) => boolean, timeoutMs?: number) => Promise<void>
  stop: () => Promise<void>
}

const liveLabs = new Set<Lab>()
let exitHookInstalled = false
function installExitHook (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  const sweep = (): void => { for (const lab of liveLabs) lab.cleanupSync() }
  process.on('exit', sweep)
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => { sweep(); process.exit(130) })
  }
}

/** A set of namespaces and background processes that are torn down together. */
export class Lab {
  readonly id: string
  readonly namespaces: string[] = []
  private readonly procs: Background[] = []

  constructor () {
    this.id = `kns-kt${process.pid}-${randomBytes(3).toString('hex')}`
    installExitHook()
    liveLabs.add(this)
  }

  /**
   * Creates namespace `<lab id>-<role>`; returns its full name. `rulesOnly` namespaces only hold a
   * ruleset (no traffic): no `lo` up, no sysctls, which makes them cheap.
   */
  ns (role: string, opts: { rulesOnly?: boolean } = {}): string {
    const name = `${this.id}-${role}`
    run(['ip', 'netns', 'add', name])
    this.namespaces.push(name)
    if (opts.rulesOnly === true) return name
    // The engine does not model br_netfilter (bridged frames through iptables); keep bridges plain L2.
    this.script(name, ['ip link set lo up', 'if [ -w /proc/sys/net/bridge/bridge-nf-call-iptables ]; then echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables; fi'])
    return name
  }

  /** Runs shell lines inside `ns` in one process (`set -e`): cheaper than one `ip` call per step. */
  script (ns: string, lines: string[]): void {
    if (lines.length > 0) this.exec(ns, ['sh', '-ec', lines.join('\n')])
  }

  exec (ns: string, argv: string[], opts: { input?: string, check?: boolean, timeoutMs?: number } = {}): RunResult {
    return run(['ip', 'netns', 'exec', ns, ...argv], opts)
  }

  /** veth pair: `ifA` in `nsA`, `ifB` in `nsB`, both up. */
  veth (nsA: string, ifA: string, nsB: string, ifB: string): void {
    run(['ip', 'link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB])
    run(['ip', '-n', nsA, 'link', 'set', ifA, 'up'])
    run(['ip', '-n', nsB, 'link', 'set', ifB, 'up'])
  }

  bridge (ns: string, name: string): void {
    run(['ip', '-n', ns, 'link', 'add', name, 'type', 'bridge'])
    run(['ip', '-n', ns, 'link', 'set', name, 'up'])
  }

  /** Enslaves `port` to `bridge` (hairpin mode on, as CNI bridge plugins do for pods). */
  enslave (ns: string, port: string, bridge: string, hairpin = true): void {
    run(['ip', '-n', ns, 'link', 'set', port, 'master', bridge])
    if (hairpin) run(['ip', '-n', ns, 'link', 'set', port, 'type', 'bridge_slave', 'hairpin', 'on'])
  }

  addr (ns: string, dev: string, cidr: string): void {
    run(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', dev])
  }

  route (ns: string, dst: string, spec: string[]): void {
    run(['ip', '-n', ns, 'route', 'add', dst, ...spec])
  }

  /** Sets a sysctl inside `ns` through /proc/sys (no dependency on procps' sysctl binary). */
  sysctl (ns: string, key: string, value: string | number): void {
    this.script(ns, [`echo ${String(value)} > /proc/sys/${key.replace(/\./g, '/')}`])
  }

  /** iptables-restore (nft backend) of `text` inside `ns`; throws with iptables' message on failure. */
  restore (ns: string, text: string, args: string[] = []): RunResult {
    return this.exec(ns, ['iptables-restore', ...args], { input: text })
  }

  save (ns: string): string {
    return this.exec(ns, ['iptables-save']).stdout
  }

  /** Starts a long-running command inside `ns`; stopped by `stop()` or the lab's cleanup. */
  spawn (ns: string, argv: string[]): Background {
    const proc = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    const waiters: Array<() => void> = []
    proc.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; for (const w of waiters.splice(0)) w() })
    proc.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
    let exited = false
    const exitP = new Promise<void>(resolve => proc.on('exit', () => { exited = true; for (const w of waiters.splice(0)) w(); resolve() }))
    const bg: Background = {
      proc,
      out: () => out,
      err: () => err,
      waitFor: async (pred, timeoutMs = 5000) => {
        const deadline = Date.now() + timeoutMs
        while (!pred(out)) {
          if (exited) throw new Error(`${argv.join(' ')} exited early: ${err.trim()}`)
          const left = deadline - Date.now()
          if (left <= 0) throw new Error(`timeout waiting for output of ${argv.join(' ')}; got:\n${out.slice(-2000)}\n${err.slice(-500)}`)
          await new Promise<void>(resolve => {
            const t = setTimeout(resolve, Math.min(left, 100))
            waiters.push(() => { clearTimeout(t); resolve() })
          })
        }
      },
      stop: async () => {
        if (!exited) {
          proc.kill('SIGTERM')
          const t = setTimeout(() => { if (!exited) proc.kill('SIGKILL') }, 1000)
          await exitP
          clearTimeout(t)
        }
      }
    }
    this.procs.push(bg)
    return bg
  }

  async cleanup (): Promise<void> {
    for (const p of this.procs.splice(0)) {
      try { await p.stop() } catch { /* ignore */ }
    }
    this.cleanupSync()
  }

  cleanupSync (): void {
    for (const p of this.procs.splice(0)) {
      try { p.proc.kill('SIGKILL') } catch { /* ignore */ }
    }
    for (const ns of this.namespaces.splice(0)) destroyNamespace(ns)
    liveLabs.delete(this)
  }
}

/** Runs `fn` with a fresh lab and always removes its namespaces and processes afterwards. */
export async function withLab<T> (fn: (lab: Lab) => Promise<T> | T): Promise<T> {
  const lab = new Lab()
  try {
    return await fn(lab)
  } finally {
    await lab.cleanup()
  }
}
