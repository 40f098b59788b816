/**
 * A pool of trace workers (node:worker_threads), so traces use every core while the main thread
 * serves HTTP. Each worker keeps its own copy of the clusters it traced: the cluster's objects are
 * structured-cloned to a worker once per generation (not per trace), and the worker parses and
 * prepares each node's rules once per generation, like the in-process runtime.
 *
 * Session-affinity state (the nodes' `recent` tables and the simulated clock) lives in one worker per
 * cluster, its home (chosen by the cluster name). A trace that may read or write that state, i.e. one
 * on a cluster with a ClientIP-affinity Service or one that advances the clock, runs there, in
 * arrival order with the cluster's other such traces and the affinity reads and resets. Any other
 * trace runs on the least busy worker with the clock the home worker last reported (on such a cluster
 * no rule reads the `recent` tables, so the state it would see is the same everywhere).
 *
 * Workers start on the first trace, are replaced if one dies (its jobs fail with 500), are unref'd
 * while idle (a forgotten pool does not keep the process alive) and stop on close().
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { StatusError } from '../../errors.ts'
import type { AffinityView, TraceExecutor, TraceJob } from '../executor.ts'
import type { FromWorker, ResponseArea, ToWorker } from './messages.ts'

/**
 * Workers by default: KUBENETSIM_TRACE_WORKERS, else cores − 1 (at least 1, at most 4) on a machine
 * with 2 cores or more, none on a single core. 0 = trace on the main thread.
 *
 * On the 2-core reference machine one worker now beats the main thread (1,000 services, autocannon
 * in the same process, three alternating pairs of `bench/http.ts`): at 50 connections 4,768–7,692
 * traces/s with p99 17–23 ms, against 3,710–4,205/s and 26–29 ms; at 10 connections 4,128–6,810/s
 * against 2,584–3,319/s. The main thread then spends ~0.12–0.15 ms per trace (HTTP, hand-over, the
 * socket write) and the worker the rest. Two workers did worse than one (three threads of ours and
 * the load generator on two cores). In the second session the pool had lost (0.79 ms of server CPU
 * per trace with 2 workers against 0.51 in-process), when a trace cost several times what it costs
 * now; and until the response area (see ResponseArea) each transferred answer pushed V8 into a full
 * collection every ~300 ms.
 */
export function defaultTraceWorkers (env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): number {
  const v = env.KUBENETSIM_TRACE_WORKERS
  if (v !== undefined && v !== '') {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0 || n > 64) throw new Error(`KUBENETSIM_TRACE_WORKERS must be an integer from 0 to 64, got ${JSON.stringify(v)}`)
    return n
  }
  return cores < 2 ? 0 : Math.min(cores - 1, 4)
}

type Waiter = { resolve: (m: FromWorker) => void, reject: (e: Error) => void }

interface Slot {
  worker: Worker
  /** jobs sent and not answered */
  busy: number
  waiting: Map<number, Waiter>
  /** which generation of each cluster this worker holds */
  loaded: Map<string, { uid: string, generation: number }>
  dead: boolean
  /** the worker loaded its modules (one that dies before is not restarted at once: no spawn loop) */
  ready: boolean
  /** the worker's response area, and its slots not handed out */
  area: ResponseArea
  free: number[]
}

/** Response area per worker: 64 slots of 256 KiB (a sampled trace's answer is ~20 KiB, an all-mode one of a 10-endpoint Service ~170 KiB; larger ones are transferred). */
const AREA_SLOTS = 64
const SLOT_BYTES = 256 * 1024

// Workers load TypeScript through tsx (the app runs under tsx; a worker does not inherit its hooks).
const TSX_API = import.meta.resolve('tsx/esm/api')
const WORKER_URL = new URL('./worker.ts', import.meta.url).href
const BOOT = `import(${JSON.stringify(TSX_API)}).then(m => { m.register(); return import(${JSON.stringify(WORKER_URL)}) })`

function hash (s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0 }
  return h >>> 0
}

export class TracePool implements TraceExecutor {
  readonly size: number
  #slots: Slot[] = []
  #closed = false
  #nextId = 1
  #turn = 0
  /** the simulated clock of each cluster as its home worker last reported it */
  readonly #clocks = new Map<string, { uid: string, now: number }>()

  readonly #areaSlots: number
  readonly #slotBytes: number

  /** `area`: the size of each worker's response area (see ResponseArea; default 64 slots of 256 KiB) */
  constructor (size: number, area: { slots?: number, slotBytes?: number } = {}) {
    if (!Number.isInteger(size) || size < 1) throw new Error('a trace pool needs at least one worker')
    this.size = size
    this.#areaSlots = area.slots ?? AREA_SLOTS
    this.#slotBytes = area.slotBytes ?? SLOT_BYTES
  }

  /** Response-area slots handed out and not free again (0 when no trace is under way). */
  get slotsInUse (): number {
    let n = 0
    for (const s of this.#slots) if (!s.dead) n += s.area.slots - s.free.length
    return n
  }

  /** Threads currently running (0 before the first trace and after close). */
  get threads (): number { return this.#slots.filter(s => !s.dead).length }

  #spawn (i: number): Slot {
    const n = this.#areaSlots
    const area: ResponseArea = { buffer: new SharedArrayBuffer(n * this.#slotBytes), slots: n, slotBytes: this.#slotBytes }
    const worker = new Worker(BOOT, { eval: true, name: `kubenetsim-trace-${i}`, workerData: { area } })
    const free: number[] = []
    for (let k = n - 1; k >= 0; k--) free.push(k)
    const slot: Slot = { worker, busy: 0, waiting: new Map(), loaded: new Map(), dead: false, ready: false, area, free }
    worker.unref()
    const fail = (why: string): void => {
      if (slot.dead) return
      slot.dead = true
      const err = new Error(`trace worker ${i} stopped: ${why}`)
      for (const w of slot.waiting.values()) w.reject(err)
      slot.waiting.clear()
      // a worker that had started is replaced now; one that never started, on the next job
      if (slot.ready && !this.#closed && this.#slots[i] === slot) this.#slots[i] = this.#spawn(i)
    }
    worker.on('message', (m: FromWorker) => {
      if (m.t === 'ready') { slot.ready = true; return }
      const w = slot.waiting.get(m.id)
      if (w === undefined) return
      slot.waiting.delete(m.id)
      if (--slot.busy === 0) worker.unref()
      w.resolve(m)
    })
    worker.on('error', (e) => { fail(e.message) })
    worker.on('exit', (code) => { fail(`exit code ${code}`) })
    return slot
  }

  #start (): Slot[] {
    if (this.#closed) throw new Error('the trace pool is closed')
    if (this.#slots.length === 0) for (let i = 0; i < this.size; i++) this.#slots.push(this.#spawn(i))
    else for (let i = 0; i < this.#slots.length; i++) if (this.#slots[i].dead) this.#slots[i] = this.#spawn(i)
    return this.#slots
  }

  #home (cluster: string): Slot {
    const slots = this.#start()
    return slots[hash(cluster) % slots.length]
  }

  /** the least busy worker (ties: taking turns) */
  #idlest (): Slot {
    const slots = this.#start()
    let best: Slot | undefined
    for (let k = 0; k < slots.length; k++) {
      const s = slots[(this.#turn + k) % slots.length]
      if (best === undefined || s.busy < best.busy) best = s
    }
    this.#turn = (this.#turn + 1) % slots.length
    return best!
  }

  #post (slot: Slot, m: ToWorker): void { slot.worker.postMessage(m) }

  #request (slot: Slot, m: ToWorker & { id: number }): Promise<FromWorker> {
    return new Promise<FromWorker>((resolve, reject) => {
      if (slot.dead) { reject(new Error('trace worker stopped')); return }
      slot.waiting.set(m.id, { resolve, reject })
      if (slot.busy++ === 0) slot.worker.ref()
      this.#post(slot, m)
    })
  }

  /** Sends the job's cluster generation to the worker unless it holds it already. */
  #load (slot: Slot, job: Pick<TraceJob, 'cluster' | 'uid' | 'inputs'>): void {
    const have = slot.loaded.get(job.cluster)
    if (have !== undefined && have.uid === job.uid && have.generation === job.inputs.generation) return
    this.#post(slot, { t: 'load', cluster: job.cluster, uid: job.uid, inputs: job.inputs })
    slot.loaded.set(job.cluster, { uid: job.uid, generation: job.inputs.generation })
  }

  async trace (job: TraceJob): Promise<Buffer> {
    const affinity = job.stateful || (job.body.advanceSeconds ?? 0) > 0
    const slot = affinity ? this.#home(job.cluster) : this.#idlest()
    this.#load(slot, job)
    const clock = this.#clocks.get(job.cluster)
    const now = affinity ? undefined : (clock !== undefined && clock.uid === job.uid ? clock.now : 0)
    // (a slot of the worker's response area for the answer, while one is free)
    const k = slot.free.pop()
    const msg: ToWorker & { id: number } = { t: 'trace', id: this.#nextId++, cluster: job.cluster, uid: job.uid, body: job.body, format: job.format }
    if (now !== undefined) msg.now = now
    if (k !== undefined) msg.slot = k
    let m: FromWorker
    let fromSlot: Buffer | undefined
    try {
      m = await this.#request(slot, msg)
      // an answer in the slot is copied out of it (see ResponseArea)
      if (k !== undefined && m.t === 'done' && m.length !== undefined) {
        fromSlot = Buffer.allocUnsafe(m.length)
        fromSlot.set(new Uint8Array(slot.area.buffer, k * slot.area.slotBytes, m.length))
      }
    } finally {
      if (k !== undefined && !slot.dead) slot.free.push(k)
    }
    if (m.t === 'failed') throw m.status !== undefined ? new StatusError(m.status) : new Error(m.message)
    if (m.t !== 'done') throw new Error(`trace worker answered ${m.t}`)
    if (now === undefined) this.#clocks.set(job.cluster, { uid: job.uid, now: m.now })
    if (m.prepared.length > 0) this.#warmOthers(slot, job, m.prepared)
    if (fromSlot !== undefined) return fromSlot
    const body = m.body!
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  }

  /** Another worker prepared these nodes: let the rest prepare them too while they are idle. */
  #warmOthers (from: Slot, job: TraceJob, nodes: string[]): void {
    for (const s of this.#slots) {
      if (s === from || s.dead) continue
      this.#load(s, job)
      this.#post(s, { t: 'warm', cluster: job.cluster, uid: job.uid, nodes })
    }
  }

  async affinity (cluster: string, uid: string): Promise<AffinityView> {
    if (this.#slots.length === 0 || this.#closed) return { now: 0, entries: [] }
    const m = await this.#request(this.#home(cluster), { t: 'affinity', id: this.#nextId++, cluster, uid })
    if (m.t !== 'affinity') throw new Error(`trace worker answered ${m.t}`)
    return m.view
  }

  async resetAffinity (cluster: string, uid: string): Promise<number> {
    if (this.#slots.length === 0 || this.#closed) return 0
    const m = await this.#request(this.#home(cluster), { t: 'reset', id: this.#nextId++, cluster, uid })
    if (m.t !== 'reset') throw new Error(`trace worker answered ${m.t}`)
    this.#clocks.set(cluster, { uid, now: m.now })
    return m.removed
  }

  async idle (): Promise<{ threadCpuMs?: number }> {
    if (this.#slots.length === 0 || this.#closed) return {}
    const answers = await Promise.all(this.#slots.map(s => this.#request(s, { t: 'ping', id: this.#nextId++ })))
    let total = 0
    for (const m of answers) {
      if (m.t !== 'pong' || m.cpuMs === undefined) return {}
      total += m.cpuMs
    }
    return { threadCpuMs: total }
  }

  drop (cluster: string): void {
    this.#clocks.delete(cluster)
    for (const s of this.#slots) {
      if (s.dead || !s.loaded.has(cluster)) continue
      s.loaded.delete(cluster)
      this.#post(s, { t: 'drop', cluster })
    }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const slots = this.#slots
    this.#slots = []
    await Promise.all(slots.map(async (s) => {
      s.dead = true
      for (const w of s.waiting.values()) w.reject(new Error('the trace pool is closed'))
      s.waiting.clear()
      await s.worker.terminate()
    }))
  }
}
