/**
 * Cluster packet traces: POST a packet, get its whole journey (see walk.ts, reply.ts, result.ts).
 */
import { cloneEngineState, createEngineState, EvaluationError, type EngineState, type Prepared } from '../../netfilter/index.ts'
import { renderTraceText } from './render.ts'
import { fieldInvalid, invalid } from '../errors.ts'
import { normalizeRequest } from './request.ts'
import { replyWalk } from './reply.ts'
import { buildResponse, type TraceResponse } from './result.ts'
import type { ClusterInputs, ClusterTraceRuntime } from './runtime.ts'
import { forwardWalk, pathLimitMessage, TraceLimitError, type WalkEnv } from './walk.ts'
import type { TraceRequestBody } from './types.ts'

export type { TraceRequestBody, TraceRequest, Path, Hop, Final, ReplyResult } from './types.ts'
export type { TraceResponse, OutcomeOut, PathOut, HopOut, StepOut, PacketOut } from './result.ts'
export { ClusterTraceRuntime, TraceRuntimes, type ClusterInputs } from './runtime.ts'
export { AffinityState, type AffinityEntrySummary } from './affinity.ts'
export { renderTraceText } from './render.ts'

function mixSeed (seed: number, node: string): number {
  let h = (seed >>> 0) ^ 0x9e3779b9
  for (let i = 0; i < node.length; i++) { h ^= node.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0 }
  return h >>> 0
}

export interface TraceRun {
  response: TraceResponse
  /** the kernel-style text rendering */
  text: () => string
}

export interface RunTraceOptions {
  /**
   * The simulated clock to use instead of the runtime's own (which is then neither read nor
   * advanced): a worker that does not hold the cluster's session-affinity state gets the clock from
   * the one that does. Only for requests that do not advance the clock.
   */
  now?: number
}

export function runTrace (rt: ClusterTraceRuntime, inputs: ClusterInputs, cluster: string, body: TraceRequestBody, opts: RunTraceOptions = {}): TraceRun {
  const net = rt.use(inputs)
  const req = normalizeRequest(net, body)
  let now: number
  if (opts.now !== undefined && req.advanceSeconds === 0) now = opts.now
  else {
    rt.affinity.advance(req.advanceSeconds)
    now = rt.affinity.now
  }
  const base = (node: string): EngineState => {
    const s = createEngineState({ seed: mixSeed(req.seed, node), now })
    // sample traces record session affinity in the cluster's recent tables; `all` traces only read them
    s.recent = rt.affinity.tables(node)
    return s
  }
  const env: WalkEnv = { net, runtime: (n) => rt.node(n), baseState: base, detail: req.detail, ...(body.maxPaths !== undefined ? { maxPaths: body.maxPaths } : {}) }
  let paths
  try {
    paths = forwardWalk(env, req)
  } catch (e) {
    if (e instanceof TraceLimitError || (e instanceof EvaluationError && e.code === 'E_BRANCH_LIMIT')) {
      // the engine's own count (one node's random branches) is the same limit: one message for both
      throw invalid('Trace', '', [fieldInvalid('mode', 'all', e instanceof TraceLimitError || env.maxPaths === undefined ? e.message : pathLimitMessage(env))])
    }
    throw e
  }
  if (req.reply) {
    const replyEnv: WalkEnv = req.mode === 'all' ? Object.assign({}, env, { baseState: (n: string) => cloneEngineState(base(n)) }) : env
    for (const p of paths) {
      const r = replyWalk(replyEnv, req, p)
      if (r !== undefined) p.reply = r
    }
  }
  const prepared = (n: string): Prepared => rt.node(n).prepared
  const response = buildResponse({
    cluster,
    generation: inputs.generation,
    profile: inputs.settings.kubeProxy.profile,
    net,
    req,
    paths,
    prepared,
    clock: { now, advancedSeconds: req.advanceSeconds }
  })
  return { response, text: () => renderTraceText(response, paths, prepared) }
}
