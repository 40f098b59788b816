/**
 * Session-affinity state of one cluster: each node's `recent` lists (what kube-proxy's
 * `-m recent --set/--rcheck` rules read and write) persist between traces, with a simulated clock in
 * seconds that a request may advance. `sample` traces record into it; `all` traces only read it.
 */
import type { RecentTable } from '../../netfilter/index.ts'

export interface AffinityEntrySummary {
  node: string
  /** recent list name (the KUBE-SEP chain of the endpoint) */
  list: string
  client: string
  /** simulated seconds of the last hit */
  lastSeen: number
}

export class AffinityState {
  /** simulated time, seconds since the state was created or reset */
  now = 0
  readonly #tables = new Map<string, Map<string, RecentTable>>()

  /** The node's recent tables (the same Map every time: the engine updates it in place). */
  tables (node: string): Map<string, RecentTable> {
    let t = this.#tables.get(node)
    if (t === undefined) this.#tables.set(node, t = new Map())
    return t
  }

  advance (seconds: number): void {
    if (seconds > 0) this.now += seconds
  }

  reset (): { entries: number } {
    const entries = this.entries().length
    this.#tables.clear()
    this.now = 0
    return { entries }
  }

  entries (): AffinityEntrySummary[] {
    const out: AffinityEntrySummary[] = []
    for (const [node, tables] of [...this.#tables].sort((a, b) => a[0] < b[0] ? -1 : 1)) {
      for (const t of [...tables.values()].sort((a, b) => a.name < b.name ? -1 : 1)) {
        for (const e of t.entries.values()) {
          const last = e.stamps[e.index - 1] ?? 0
          out.push({ node, list: t.name, client: `${e.addr >>> 24}.${(e.addr >>> 16) & 255}.${(e.addr >>> 8) & 255}.${e.addr & 255}`, lastSeen: last })
        }
      }
    }
    return out
  }
}
