/**
 * The jump graph of one table block, recorded while its `-A` lines are read: chains by number (the
 * chain index's, see chain-index.ts), jump edges in rule order and, per chain, the hooks its
 * hook-restricted targets forbid. At COMMIT it answers "is there a problem?" — a jump cycle, nesting
 * deeper than nf_tables allows, or a restricted target reached from a wrong hook — without reading a
 * rule or looking up a chain by name again (ruleset.ts's graphProblem does both for every rule: on a
 * kube-proxy node of 60,000 chains that took ~70 ms).
 *
 * Only a block whose rules were all appended in order, each jump resolved to a user chain when read,
 * can be answered this way (`usable`); any other command or unresolved jump makes the parser use
 * graphProblem. The answer may be a false alarm (a chain re-declared in the block keeps the edges of
 * the rules it lost), never a missed problem: on "maybe" the parser runs graphProblem, which also
 * finds the rule to blame.
 */

/** nf_tables' jump stack: a chain may sit at most 15 jumps/gotos below a built-in chain. */
export const MAX_JUMP_DEPTH = 16

let enabled = true

/** Switch the block graph off (or on again): COMMIT then always runs the full check (tests compare both). */
export function setBlockGraph (on: boolean): void {
  enabled = on
}

export function blockGraphEnabled (): boolean {
  return enabled
}

export class BlockGraph {
  /** every rule of the block was recorded */
  usable = true
  private from: Int32Array = new Int32Array(1024)
  private to: Int32Array = new Int32Array(1024)
  private edges = 0
  /** per chain number: OR of the hook bits its targets may not be reached from */
  private restrict: Int32Array = new Int32Array(256)

  reset (): void {
    this.usable = true
    if (this.edges > 0) this.edges = 0
    this.restrict.fill(0)
  }

  /** a jump or goto from chain `a` to chain `b` */
  edge (a: number, b: number): void {
    if (this.edges === this.from.length) {
      this.from = grown(this.from, this.edges * 2)
      this.to = grown(this.to, this.edges * 2)
    }
    this.from[this.edges] = a
    this.to[this.edges] = b
    this.edges++
  }

  /** chain `a` has a target that may not be reached from the hooks `bits` */
  forbid (a: number, bits: number): void {
    if (a >= this.restrict.length) this.restrict = grown(this.restrict, Math.max(a + 1, this.restrict.length * 2))
    this.restrict[a] |= bits
  }

  /**
   * Could the graph of chains 1..`n` have a problem? `roots[i]` is a built-in chain's number (0 when
   * it has none) and `hooks[i]` its hook bit.
   */
  maybeProblem (n: number, roots: number[], hooks: number[]): boolean {
    const edges = this.edges
    const from = this.from
    const to = this.to
    // adjacency in rule order (compressed rows)
    const start = new Int32Array(n + 2)
    for (let e = 0; e < edges; e++) start[from[e] + 1]++
    for (let v = 1; v <= n + 1; v++) start[v] += start[v - 1]
    const fill = start.slice(0, n + 1)
    const adj = new Int32Array(edges)
    for (let e = 0; e < edges; e++) adj[fill[from[e]]++] = to[e]
    /** 1 = on the DFS path, 2 = done */
    const state = new Uint8Array(n + 1)
    const cursor = new Int32Array(n + 1)
    const post = new Int32Array(n + 1)
    const stack = new Int32Array(n + 1)
    let np = 0
    for (const root of roots) {
      if (root === 0 || state[root] !== 0) continue
      let sp = 0
      stack[sp++] = root
      state[root] = 1
      cursor[root] = start[root]
      while (sp > 0) {
        const v = stack[sp - 1]
        const c = cursor[v]
        if (c === start[v + 1]) {
          state[v] = 2
          post[np++] = v
          sp--
          continue
        }
        cursor[v] = c + 1
        const w = adj[c]
        if (state[w] === 1) return true
        if (state[w] === 0) {
          state[w] = 1
          cursor[w] = start[w]
          stack[sp++] = w
        }
      }
    }
    // heights (longest jump path below a chain), children first
    const height = new Int32Array(n + 1)
    for (let q = 0; q < np; q++) {
      const v = post[q]
      let h = 0
      for (let c = start[v]; c < start[v + 1]; c++) if (height[adj[c]] + 1 > h) h = height[adj[c]] + 1
      height[v] = h
    }
    const mask = new Int32Array(n + 1)
    for (let i = 0; i < roots.length; i++) {
      if (roots[i] === 0) continue
      if (height[roots[i]] >= MAX_JUMP_DEPTH) return true
      mask[roots[i]] = hooks[i]
    }
    // hooks reaching each user chain, parents first
    const restrict = this.restrict
    for (let q = np - 1; q >= 0; q--) {
      const v = post[q]
      const m = mask[v]
      if (!roots.includes(v) && v < restrict.length && (m & restrict[v]) !== 0) return true
      for (let c = start[v]; c < start[v + 1]; c++) mask[adj[c]] |= m
    }
    return false
  }
}

function grown (a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n)
  b.set(a)
  return b
}
