/**
 * A cache of one table's chains looked up by a piece of the text (`text[a, b)`) instead of a string:
 * the fast path finds the chain of an `-A` line and the chain a `-j` names without cutting the name
 * out of the line (a new string, hashed again by the Map) and reuses the declared name string and
 * one jump target per chain.
 *
 * It only caches what `Table.chains` says: the parser adds a chain when it declares or looks it up,
 * and clears the cache whenever a command could replace or remove chain objects.
 */

import type { Chain, Target } from '../model.ts'

function nameHash (s: string): number {
  let h = s.length
  for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x01000193)
  return Math.imul(h ^ (h >>> 15), 0x9e3779b1)
}

function regionHash (text: string, a: number, b: number): number {
  let h = b - a
  for (let k = a; k < b; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193)
  return Math.imul(h ^ (h >>> 15), 0x9e3779b1)
}

export class ChainIndex {
  /**
   * Number (1, 2, …) of the chain the last `get`, `jump` or `set` found or cached, 0 when none:
   * one per chain name since the last `clear` (see block-graph.ts).
   */
  lastId = 0
  private chains: Array<Chain | undefined>
  private jumps: Array<Target | undefined>
  /** per slot: the chain's number (a plain array: a small typed array would live outside the heap, costly per parse) */
  private ids: number[]
  private mask: number
  private size = 0

  constructor (capacity = 64) {
    let n = 64
    while (n < capacity * 2) n *= 2
    this.chains = new Array(n).fill(undefined)
    this.jumps = new Array(n).fill(undefined)
    this.ids = new Array<number>(n).fill(0)
    this.mask = n - 1
    // (these change all the time: make V8 see them change before it optimises on them)
    this.size = this.lastId = -1
    this.size = this.lastId = 0
  }

  /** how many chain numbers were given out since the last `clear` */
  get count (): number {
    return this.size
  }

  clear (): void {
    if (this.size === 0) return
    this.chains.fill(undefined)
    this.jumps.fill(undefined)
    this.ids.fill(0)
    this.size = 0
  }

  /** slot of the chain named `text[a, b)`, or -1 */
  private find (text: string, a: number, b: number): number {
    const n = b - a
    for (let k = regionHash(text, a, b) & this.mask; ; k = (k + 1) & this.mask) {
      const c = this.chains[k]
      if (c === undefined) return -1
      const name = c.name
      if (name.length !== n) continue
      let j = n - 1
      while (j >= 0 && name.charCodeAt(j) === text.charCodeAt(a + j)) j--
      if (j < 0) return k
    }
  }

  /** The chain named `text[a, b)`, if cached. */
  get (text: string, a: number, b: number): Chain | undefined {
    const k = this.find(text, a, b)
    this.lastId = k < 0 ? 0 : this.ids[k]
    return k < 0 ? undefined : this.chains[k]
  }

  /**
   * The (shared) jump target to the user chain named `text[a, b)` when that chain is cached; its
   * `chain` is the chain's own name string. (So the jump is known to be valid when it is made.)
   */
  jump (text: string, a: number, b: number): Target | undefined {
    const k = this.find(text, a, b)
    if (k < 0 || this.chains[k]!.builtin) {
      this.lastId = 0
      return undefined
    }
    this.lastId = this.ids[k]
    let t = this.jumps[k]
    if (t === undefined) t = this.jumps[k] = { kind: 'jump', chain: this.chains[k]!.name }
    return t
  }

  /** Cache `c` (replacing a chain of the same name). */
  set (c: Chain): void {
    const name = c.name
    const n = name.length
    let k = nameHash(name) & this.mask
    for (; ; k = (k + 1) & this.mask) {
      const e = this.chains[k]
      if (e === undefined) break
      if (e.name.length === n && e.name === name) {
        this.chains[k] = c
        this.lastId = this.ids[k]
        return
      }
    }
    this.chains[k] = c
    this.jumps[k] = undefined
    this.lastId = this.ids[k] = ++this.size
    if (this.size * 2 > this.mask) this.grow()
  }

  private grow (): void {
    const old = this.chains
    const oldJumps = this.jumps
    const oldIds = this.ids
    const n = old.length * 2
    this.chains = new Array(n).fill(undefined)
    this.jumps = new Array(n).fill(undefined)
    this.ids = new Array<number>(n).fill(0)
    this.mask = n - 1
    for (let i = 0; i < old.length; i++) {
      const c = old[i]
      if (c === undefined) continue
      let k = nameHash(c.name) & this.mask
      while (this.chains[k] !== undefined) k = (k + 1) & this.mask
      this.chains[k] = c
      this.jumps[k] = oldJumps[i]
      this.ids[k] = oldIds[i]
    }
  }
}
