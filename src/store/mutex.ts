/**
 * A FIFO async lock. The store runs every database access under it: better-sqlite3 is one
 * connection, and queries outside a transaction would otherwise see another request's uncommitted rows.
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve()
  #waiting = 0

  get waiting (): number {
    return this.#waiting
  }

  async run<T> (fn: () => Promise<T>): Promise<T> {
    const prev = this.#tail
    let release!: () => void
    this.#tail = new Promise<void>(resolve => { release = resolve })
    this.#waiting++
    try {
      await prev
      return await fn()
    } finally {
      this.#waiting--
      release()
    }
  }
}
