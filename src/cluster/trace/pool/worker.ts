/**
 * A trace worker: holds a copy of each cluster's objects (sent once per generation), the per-cluster
 * trace runtimes built from them (rules parsed and prepared once per node per generation), and runs
 * the trace jobs the pool sends, one at a time in arrival order, answering with the serialised trace.
 */
import { readFileSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import { StatusError } from '../../errors.ts'
import { runTrace } from '../index.ts'
import { TraceRuntimes, type ClusterInputs } from '../runtime.ts'
import { traceJSONBytes } from '../serialize.ts'
import type { FromWorker, ResponseArea, ToWorker } from './messages.ts'

const port = parentPort
if (port === null) throw new Error('the trace worker runs in a worker thread')

/** where answers are written when the job names a slot (see ResponseArea) */
const area = (workerData as { area?: ResponseArea } | null)?.area

/** Slot `k` of the response area, as a Buffer. */
function slotBuffer (k: number): Buffer {
  return Buffer.from(area!.buffer, k * area!.slotBytes, area!.slotBytes)
}

const runtimes = new TraceRuntimes()
const loaded = new Map<string, { uid: string, inputs: ClusterInputs }>()

/**
 * Nodes to prepare in the background (another worker needed them): one per turn of the event loop,
 * so trace jobs that arrive meanwhile wait for at most one node, not for the whole list.
 */
const warmQueue: Array<{ cluster: string, uid: string, node: string }> = []
let warming = false

function warmOne (): void {
  const w = warmQueue.shift()
  if (w === undefined) { warming = false; return }
  const l = loaded.get(w.cluster)
  if (l !== undefined && l.uid === w.uid) {
    const rt = runtimes.get(w.cluster, w.uid)
    rt.use(l.inputs)
    try { rt.node(w.node) } catch { /* the node left the cluster: nothing to warm */ }
    rt.takeNewlyPrepared()
  }
  setImmediate(warmOne)
}

function inputsOf (cluster: string, uid: string): ClusterInputs {
  const l = loaded.get(cluster)
  if (l === undefined || l.uid !== uid) throw new Error(`trace worker: cluster ${cluster} was not loaded`)
  return l.inputs
}

/** CPU milliseconds of this thread (utime + stime of /proc/thread-self/stat, 100 ticks a second). */
function threadCpuMs (): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) * 10
  } catch {
    return undefined
  }
}

function send (m: FromWorker, transfer?: ArrayBuffer[]): void { port!.postMessage(m, transfer) }

const utf8 = new TextEncoder()

function handle (m: ToWorker): void {
  switch (m.t) {
    case 'load':
      loaded.set(m.cluster, { uid: m.uid, inputs: m.inputs })
      return
    case 'drop':
      loaded.delete(m.cluster)
      runtimes.drop(m.cluster)
      return
    case 'warm':
      for (const node of m.nodes) warmQueue.push({ cluster: m.cluster, uid: m.uid, node })
      if (!warming) { warming = true; setImmediate(warmOne) }
      return
    case 'trace': {
      try {
        const rt = runtimes.get(m.cluster, m.uid)
        const run = runTrace(rt, inputsOf(m.cluster, m.uid), m.cluster, m.body, m.now !== undefined ? { now: m.now } : {})
        // in the job's slot of the response area when it fits, else in a buffer of its own, transferred
        const into = m.slot !== undefined && area !== undefined ? slotBuffer(m.slot) : undefined
        let bytes: Uint8Array
        if (m.format === 'text') {
          const text = run.text()
          const wrote = into !== undefined ? utf8.encodeInto(text, into) : undefined
          bytes = wrote !== undefined && wrote.read === text.length ? into!.subarray(0, wrote.written) : utf8.encode(text)
        } else bytes = traceJSONBytes(run.response, into)
        const now = rt.affinity.now
        const prepared = rt.takeNewlyPrepared()
        if (into !== undefined && bytes.buffer === into.buffer) {
          send({ t: 'done', id: m.id, length: bytes.byteLength, now, prepared })
        } else {
          // only a buffer that owns its whole ArrayBuffer may be transferred (a small Buffer can be a
          // view into Node's shared allocation pool, which must never be detached)
          const body = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes)
          send({ t: 'done', id: m.id, body, now, prepared }, [body.buffer as ArrayBuffer])
        }
      } catch (e) {
        runtimes.peek(m.cluster, m.uid)?.takeNewlyPrepared()
        if (e instanceof StatusError) send({ t: 'failed', id: m.id, status: e.status, message: e.message })
        else send({ t: 'failed', id: m.id, message: (e as Error)?.stack ?? String(e) })
      }
      return
    }
    case 'affinity': {
      const rt = runtimes.peek(m.cluster, m.uid)
      send({ t: 'affinity', id: m.id, view: { now: rt?.affinity.now ?? 0, entries: rt?.affinity.entries() ?? [] } })
      return
    }
    case 'reset': {
      const rt = runtimes.peek(m.cluster, m.uid)
      const removed = rt?.affinity.reset().entries ?? 0
      send({ t: 'reset', id: m.id, removed, now: 0 })
      return
    }
    case 'ping': {
      // answered once the background warm-up is done too
      if (warming) { setImmediate(() => { handle(m) }); return }
      const cpuMs = threadCpuMs()
      send({ t: 'pong', id: m.id, ...(cpuMs !== undefined ? { cpuMs } : {}) })
    }
  }
}

port.on('message', handle)
send({ t: 'ready' })
