/**
 * The jump graph of one table block, recorded while its `-A` lines are read: chains by number (the
 * chain index's, see chain-index.ts), jump edges in rule order and, per chain, the hooks its
 * hook-restricted targets forbid. At COMMIT it answers "is there a problem?" — a jump cycle, nesting
 * deeper than nf_tables allows, or a restricted target reached from a wrong hook — without reading a
 * rule or looking up a chain by name again (building the graph from the table reads every rule and
 * looks up every jump's chain: on a kube-proxy node of 60,000 chains that took 70–120 ms).
 *
 * Only a block whose rules were all appended in order, each jump resolved to a user chain when read,
 * can be answered this way (`usable`); any other command or unresolved jump makes the parser check
 * the graph built from the table (ruleset.ts's graphProblem, with the same `problem`). The recorded
 * answer may be a false alarm (a chain re-declared in the block keeps the edges of the rules it lost),
 * never a missed problem: on a problem the parser checks the table's graph, which also finds the rule
 * to blame.
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

/**
 * A jump graph and its check. The parser keeps one for the blocks it reads and one for checking a
 * table's graph (parses are synchronous and never nested): a node's ruleset is parsed as ~20,000
 * small blocks, and typed arrays made per block cost more than the check itself.
 */
export class BlockGraph {
  /** every rule of the block was recorded */
  usable = true
  private from: Int32Array = new Int32Array(256)
  private to: Int32Array = new Int32Array(256)
  private edges = 0
  /** per chain number: OR of the hook bits its targets may not be reached from */
  private restrict: Int32Array = new Int32Array(256)
  /** chain numbers 0..top-1 may have restrict bits set */
  private top = 0
  // scratch for maybeProblem, grown as needed
  private start: Int32Array = new Int32Array(256)
  private fill: Int32Array = new Int32Array(256)
  private adj: Int32Array = new Int32Array(256)
  private state: Int32Array = new Int32Array(256)
  private cursor: Int32Array = new Int32Array(256)
  private post: Int32Array = new Int32Array(256)
  private stack: Int32Array = new Int32Array(256)
  private height: Int32Array = new Int32Array(256)
  private mask: Int32Array = new Int32Array(256)

  reset (): void {
    this.usable = true
    this.edges = 0
    if (this.top > 0) this.restrict.fill(0, 0, this.top)
    this.top = 0
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
    if (a >= this.top) this.top = a + 1
  }

  /** the scratch arrays, at least `n` long and zeroed up to `n` */
  private scratch (n: number, edges: number): void {
    if (this.start.length < n) {
      const m = Math.max(n, this.start.length * 2)
      this.start = new Int32Array(m)
      this.fill = new Int32Array(m)
      this.state = new Int32Array(m)
      this.cursor = new Int32Array(m)
      this.post = new Int32Array(m)
      this.stack = new Int32Array(m)
      this.height = new Int32Array(m)
      this.mask = new Int32Array(m)
    } else {
      this.start.fill(0, 0, n)
      this.state.fill(0, 0, n)
      this.height.fill(0, 0, n)
      this.mask.fill(0, 0, n)
    }
    if (this.adj.length < edges) this.adj = new Int32Array(Math.max(edges, this.adj.length * 2))
  }

  /**
   * The problem of the graph of chains 1..`n`, as nf_tables reports it, or null. `roots[i]` is a
   * built-in chain's number (0 when it has none) and `hooks[i]` its hook bit. One iterative DFS from
   * the roots in order (cycles, post-order), heights bottom-up, hook masks top-down.
   */
  problem (n: number, roots: number[], hooks: number[]): 'Too many links' | 'Invalid argument' | null {
    const edges = this.edges
    const from = this.from
    const to = this.to
    this.scratch(n + 2, edges)
    // adjacency in rule order (compressed rows)
    const start = this.start
    const fill = this.fill
    const adj = this.adj
    for (let e = 0; e < edges; e++) start[from[e] + 1]++
    for (let v = 1; v <= n + 1; v++) start[v] += start[v - 1]
    for (let v = 0; v <= n; v++) fill[v] = start[v]
    for (let e = 0; e < edges; e++) adj[fill[from[e]]++] = to[e]
    /** 1 = on the DFS path, 2 = done */
    const state = this.state
    const cursor = this.cursor
    const post = this.post
    const stack = this.stack
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
        if (state[w] === 1) return 'Too many links'
        if (state[w] === 0) {
          state[w] = 1
          cursor[w] = start[w]
          stack[sp++] = w
        }
      }
    }
    // heights (longest jump path below a chain), children first
    const height = this.height
    for (let q = 0; q < np; q++) {
      const v = post[q]
      let h = 0
      for (let c = start[v]; c < start[v + 1]; c++) if (height[adj[c]] + 1 > h) h = height[adj[c]] + 1
      height[v] = h
    }
    for (const root of roots) if (root !== 0 && height[root] >= MAX_JUMP_DEPTH) return 'Too many links'
    // hooks reaching each user chain, parents first (a built-in chain's are its own hook's)
    const mask = this.mask
    const restrict = this.restrict
    const top = this.top
    for (let q = np - 1; q >= 0; q--) {
      const v = post[q]
      const r = roots.indexOf(v)
      const m = r >= 0 ? hooks[r] : mask[v]
      if (r < 0 && v < top && (m & restrict[v]) !== 0) return 'Invalid argument'
      for (let c = start[v]; c < start[v + 1]; c++) mask[adj[c]] |= m
    }
    return null
  }
}

function grown (a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n)
  b.set(a)
  return b
}
