/**
 * /api/v1/clusters/{cluster}/traces: POST a packet, get its whole journey through the virtual
 * cluster (JSON, or kernel-style text with `format=trace` / `Accept: text/plain`); read and reset the
 * cluster's session-affinity state.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { clusterSnapshot, endpointSlicesOf } from '../../cluster/actions/index.ts'
import { memo } from '../../store/index.ts'
import { runTrace, TraceRuntimes, type ClusterInputs, type TraceRequestBody } from '../../cluster/trace/index.ts'
import { ClusterParams, errors } from './shared.ts'
import { AffinityStateSchema, TraceQuery, TraceRequestSchema, TraceResponseSchema } from './traces-schema.ts'

function wantsText (format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'trace'
  const a = accept ?? ''
  return a.includes('text/plain') && !a.includes('application/json')
}

const traces: FastifyPluginAsyncTypebox = async (app) => {
  const runtimes = new TraceRuntimes()
  const off = app.store.onClusterChanged(c => { if (c.deleted) runtimes.drop(c.cluster) })
  app.addHook('onClose', async () => { off() })

  async function inputsOf (cluster: string): Promise<{ inputs: ClusterInputs, uid: string }> {
    const snap = await clusterSnapshot(app.store, cluster)
    const inputs = memo(snap, 'trace:inputs', (): ClusterInputs => ({
      generation: snap.generation,
      settings: snap.cluster.settings,
      nodes: snap.nodes,
      pods: snap.pods,
      services: snap.services,
      endpointSlices: endpointSlicesOf(snap)
    }))
    return { inputs, uid: snap.cluster.uid }
  }

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
    const { inputs, uid } = await inputsOf(req.params.cluster)
    const rt = runtimes.get(req.params.cluster, uid)
    const run = runTrace(rt, inputs, req.params.cluster, req.body as TraceRequestBody)
    if (wantsText(req.query.format, req.headers.accept)) {
      reply.type('text/plain; charset=utf-8')
      return run.text() as never
    }
    return run.response as never
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
    const rt = runtimes.peek(req.params.cluster, snap.cluster.uid)
    return { kind: 'TraceAffinity', apiVersion: 'kubenetsim.io/v1', cluster: req.params.cluster, clock: { now: rt?.affinity.now ?? 0 }, entries: rt?.affinity.entries() ?? [] } as never
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
    const rt = runtimes.peek(req.params.cluster, snap.cluster.uid)
    const removed = rt?.affinity.reset().entries ?? 0
    return { kind: 'TraceAffinity', apiVersion: 'kubenetsim.io/v1', cluster: req.params.cluster, clock: { now: 0 }, entries: [], removed } as never
  })
}
export default traces
