/** Messages between the trace pool (main thread) and its workers (structured-cloned). */
import type { KubeStatus } from '../../errors.ts'
import type { AffinityView, TraceFormat } from '../executor.ts'
import type { ClusterInputs } from '../runtime.ts'
import type { TraceRequestBody } from '../types.ts'

/**
 * A worker's response area: `slots` slots of `slotBytes` bytes in one SharedArrayBuffer (given to the
 * worker at its start). The main thread gives a job a free slot, the worker writes the answer there,
 * and the main thread copies it into a young Buffer of its own and frees the slot. An answer
 * transferred as an ArrayBuffer of its own instead stays external memory of the main thread's heap
 * until a full collection: at thousands of answers a second V8 then ran a mark-compact every ~300 ms,
 * with pauses of up to 18 ms.
 */
export interface ResponseArea { buffer: SharedArrayBuffer, slots: number, slotBytes: number }

export type ToWorker =
  /** the cluster's objects at a generation (sent once per worker per generation) */
  | { t: 'load', cluster: string, uid: string, inputs: ClusterInputs }
  /**
   * `now` set: use this clock and do not touch the worker's affinity state (see RunTraceOptions);
   * `slot`: the answer's place in the worker's response area, free for it (see ResponseArea)
   */
  | { t: 'trace', id: number, cluster: string, uid: string, body: TraceRequestBody, format: TraceFormat, now?: number, slot?: number }
  /** prepare these nodes' rulesets now (another worker needed them) */
  | { t: 'warm', cluster: string, uid: string, nodes: string[] }
  | { t: 'affinity', id: number, cluster: string, uid: string }
  | { t: 'reset', id: number, cluster: string, uid: string }
  | { t: 'drop', cluster: string }
  /** answered after every earlier message: the worker's queue is drained */
  | { t: 'ping', id: number }

export type FromWorker =
  | { t: 'ready' }
  /**
   * The trace's UTF-8 text: `length` bytes in the job's slot of the response area, or, when it did not
   * fit or the job had no slot, `body`, transferred (not copied: posting a long string costs far more
   * than encoding it); `now`: the worker's own clock of the cluster after the job; `prepared`: nodes
   * it prepared for it
   */
  | { t: 'done', id: number, length?: number, body?: Uint8Array, now: number, prepared: string[] }
  | { t: 'affinity', id: number, view: AffinityView }
  | { t: 'reset', id: number, removed: number, now: number }
  | { t: 'failed', id: number, status?: KubeStatus, message: string }
  /** `cpuMs`: CPU time this thread has used (undefined where /proc/thread-self is missing) */
  | { t: 'pong', id: number, cpuMs?: number }
