/**
 * Who runs a cluster's traces: this thread (InProcessTraces, below) or a pool of worker threads
 * (pool/pool.ts). Both keep one trace runtime per cluster (rules, network model, session-affinity
 * state) and answer with the serialised trace, so the API layer does not care which it talks to.
 */
import { memo, type ClusterSnapshot } from '../../store/index.ts'
import { endpointSlicesOf } from '../actions/index.ts'
import type { AffinityEntrySummary } from './affinity.ts'
import { runTrace } from './index.ts'
import { traceJSONBytes } from './serialize.ts'
import { TraceRuntimes, type ClusterInputs } from './runtime.ts'
import type { TraceRequestBody } from './types.ts'

export type TraceFormat = 'json' | 'text'

/** One trace to run: the cluster at one generation and the (schema-validated) request body. */
export interface TraceJob {
  cluster: string
  uid: string
  inputs: ClusterInputs
  /** does the cluster's session-affinity state take part (a Service with sessionAffinity ClientIP)? */
  stateful: boolean
  body: TraceRequestBody
  format: TraceFormat
}

export interface AffinityView { now: number, entries: AffinityEntrySummary[] }

export interface TraceExecutor {
  /** The trace as JSON text (what JSON.stringify makes of the response) or kernel-style text (UTF-8 when a Buffer). */
  trace: (job: TraceJob) => Promise<string | Buffer>
  /** The cluster's session-affinity state (no state is created). */
  affinity: (cluster: string, uid: string) => Promise<AffinityView>
  /** Forgets the cluster's session-affinity state; the number of entries removed. */
  resetAffinity: (cluster: string, uid: string) => Promise<number>
  /** The cluster was deleted. */
  drop: (cluster: string) => void
  /**
   * Resolves when the executor has no work queued (workers have also prepared the nodes they were
   * asked to warm), with the CPU milliseconds its threads used so far when it has threads of its
   * own and the platform tells (Linux): for benchmarks.
   */
  idle: () => Promise<{ threadCpuMs?: number }>
  close: () => Promise<void>
}

/** The trace inputs of a snapshot, built once per cluster generation. */
export function traceInputs (snap: ClusterSnapshot): { inputs: ClusterInputs, stateful: boolean } {
  return memo(snap, 'trace:inputs', () => {
    const inputs: ClusterInputs = {
      generation: snap.generation,
      settings: snap.cluster.settings,
      nodes: snap.nodes,
      pods: snap.pods,
      services: snap.services,
      endpointSlices: endpointSlicesOf(snap)
    }
    // kube-proxy writes `-m recent` rules (the only per-cluster state a trace reads or writes) only
    // for Services with ClientIP session affinity
    const stateful = snap.services.some(s => s.spec.sessionAffinity === 'ClientIP')
    return { inputs, stateful }
  })
}

/** Traces on the calling thread (no workers). */
export class InProcessTraces implements TraceExecutor {
  readonly #runtimes = new TraceRuntimes()

  async trace (job: TraceJob): Promise<string | Buffer> {
    const run = runTrace(this.#runtimes.get(job.cluster, job.uid), job.inputs, job.cluster, job.body)
    // JSON as bytes: the HTTP layer neither measures nor encodes a large string (see traceJSONBytes)
    return job.format === 'text' ? run.text() : traceJSONBytes(run.response)
  }

  async affinity (cluster: string, uid: string): Promise<AffinityView> {
    const rt = this.#runtimes.peek(cluster, uid)
    return { now: rt?.affinity.now ?? 0, entries: rt?.affinity.entries() ?? [] }
  }

  async resetAffinity (cluster: string, uid: string): Promise<number> {
    return this.#runtimes.peek(cluster, uid)?.affinity.reset().entries ?? 0
  }

  drop (cluster: string): void { this.#runtimes.drop(cluster) }

  async idle (): Promise<{ threadCpuMs?: number }> { return {} }

  async close (): Promise<void> {}
}
