/**
 * /api/v1/clusters/{cluster}/traces: POST a packet, get its whole journey through the virtual
 * cluster (JSON, or kernel-style text with `format=trace` / `Accept: text/plain`); read and reset the
 * cluster's session-affinity state.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { clusterSnapshot } from '../../cluster/actions/index.ts'
import { traceInputs } from '../../cluster/trace/executor.ts'
import type { TraceRequestBody } from '../../cluster/trace/index.ts'
import { ClusterParams, errors } from './shared.ts'
import { AffinityStateSchema, TraceQuery, TraceRequestSchema, TraceResponseSchema } from './traces-schema.ts'

function wantsText (format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'trace'
  const a = accept ?? ''
  return a.includes('text/plain') && !a.includes('application/json')
}

const traces: FastifyPluginAsyncTypebox = async (app) => {
  // traces run on worker threads or on this thread (see app.traces); the app closes it
  const traces = app.traces
  const off = app.store.onClusterChanged(c => { if (c.deleted) traces.drop(c.cluster) })
  app.addHook('onClose', async () => { off() })

  app.post('/traces', {
    config: { kind: 'Trace' },
    schema: {
      operationId: 'traceCluster',
      tags: ['traces'],
      description: 'Traces one packet through the cluster: every node crossed, with the hooks, chains and rules (canonical text, why a rule missed, verdicts, provenance), NAT rewrites, where it lands and with what probability (mode all: every outcome, exact kernel-quantised probabilities summing to 1), and the reply through the same conntrack tables. `format=trace` or `Accept: text/plain` renders it like kernel TRACE lines with one-line explanations.',
      params: ClusterParams,
      querystring: TraceQuery,
      body: TraceRequestSchema,
      produces: ['application/json', 'text/plain'],
      response: { 200: TraceResponseSchema, ...errors(400, 404, 415, 422) }
    }
  }, async (req, reply) => {
    const snap = await clusterSnapshot(app.store, req.params.cluster)
    const { inputs, stateful } = traceInputs(snap)
    const text = wantsText(req.query.format, req.headers.accept)
    // the server's branch limit bounds `all` traces (0: the walk's own MAX_PATHS)
    const cap = app.limits.maxTraceBranches
    // set on the request's own parsed body, not copied with `{ ...body, maxPaths }` (on Node 20 that
    // spread is slow and makes V8 promote young objects: bench/v8-spread.ts) nor with Object.assign
    // (which would run the `__proto__` setter for a body that has such a key)
    const body = req.body as TraceRequestBody
    if (cap > 0) body.maxPaths = cap
    const out = await traces.trace({ cluster: req.params.cluster, uid: snap.cluster.uid, inputs, stateful, body, format: text ? 'text' : 'json' })
    // already serialised (the same bytes the JSON serializer would write)
    reply.type(text ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8')
    return out as never
  })

  app.get('/traces/affinity', {
    schema: {
      operationId: 'readTraceAffinity',
      tags: ['traces'],
      description: 'The session-affinity state sample traces recorded: each node\'s `recent` list entries (client, endpoint chain, last seen) and the simulated clock.',
      params: ClusterParams,
      response: { 200: AffinityStateSchema, ...errors(404) }
    }
  }, async (req) => {
    const snap = await clusterSnapshot(app.store, req.params.cluster)
    const view = await traces.affinity(req.params.cluster, snap.cluster.uid)
    return { kind: 'TraceAffinity', apiVersion: 'kubenetsim.io/v1', cluster: req.params.cluster, clock: { now: view.now }, entries: view.entries } as never
  })

  app.delete('/traces/affinity', {
    schema: {
      operationId: 'resetTraceAffinity',
      tags: ['traces'],
      description: 'Forgets every session-affinity entry of the cluster and resets its simulated clock to 0.',
      params: ClusterParams,
      response: { 200: AffinityStateSchema, ...errors(404) }
    }
  }, async (req) => {
    const snap = await clusterSnapshot(app.store, req.params.cluster)
    const removed = await traces.resetAffinity(req.params.cluster, snap.cluster.uid)
    return { kind: 'TraceAffinity', apiVersion: 'kubenetsim.io/v1', cluster: req.params.cluster, clock: { now: 0 }, entries: [], removed } as never
  })
}
export default traces
