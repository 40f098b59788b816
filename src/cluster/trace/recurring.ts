/**
 * Which keys come back: a fixed table of recent key hashes, so a cache can keep only values asked
 * for at least twice. A key seen once (a conntrack message holding one trace's source port) then
 * costs nothing that outlives the trace; keeping it would promote it to the old generation, and
 * such garbage made every young-generation collection copy about a megabyte.
 */
export class Recurring {
  readonly #slots: Int32Array
  readonly #mask: number

  /** `size`: a power of two */
  constructor (size = 4096) {
    this.#slots = new Int32Array(size)
    this.#mask = size - 1
  }

  /** true when `key` (probably) was offered before; records it either way */
  seenBefore (key: string): boolean {
    let h = 0x811c9dc5
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
    h |= 1 // 0 marks an empty slot
    const at = (h >>> 0) & this.#mask
    if (this.#slots[at] === h) return true
    this.#slots[at] = h
    return false
  }
}
