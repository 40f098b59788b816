/**
 * The app factory: one fastify instance with the store decorated as `app.store`, strict schema
 * handling (no coercion, no stripping), Kubernetes Status errors, JSON + YAML bodies, OpenAPI from
 * the route schemas and Swagger UI at /docs. Tests build it in-process; src/server.ts listens.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Store } from '../store/index.ts'
import { seedDemo } from '../cluster/actions/demo.ts'
import { DEFAULT_MAX_MANIFEST_OBJECTS } from '../cluster/actions/manifests.ts'
import { addObjectParsers } from './body.ts'
import { errorHandler, notFoundHandler } from './errors.ts'
import { NAMED_SCHEMAS } from './schemas/objects.ts'
import { ROUTES } from './routes/index.ts'
import { auth } from './auth.ts'
import { limits as requestLimits, clientErrorHandler, httpServerOptions, DEFAULT_REQUEST_LIMITS, type RequestLimits } from './limits.ts'
import { ClusterTokensSchema } from './routes/tokens.ts'
import { defaultTraceWorkers, TracePool } from '../cluster/trace/pool/pool.ts'
import { InProcessTraces, type TraceExecutor } from '../cluster/trace/executor.ts'

export interface Limits extends RequestLimits {
  /** largest request body in bytes (413 beyond); default 3 MiB like the API server */
  bodyLimit: number
  /** most objects in one manifest (413 beyond) */
  maxManifestObjects: number
}

export interface BuildAppOptions {
  /** `file:` URL of the SQLite database (ignored when `store` is given) */
  databaseUrl?: string
  /** an open store; the app then does not close it */
  store?: Store
  logger?: FastifyServerOptions['logger']
  limits?: Partial<Limits>
  /** create the demo cluster when the database holds none */
  seedDemo?: boolean
  /** bearer token of the administrator; unset or empty: no access control (see src/api/auth.ts) */
  adminToken?: string
  /** serve Swagger UI at /docs (default true) */
  docs?: boolean
  /** worker threads for cluster traces; 0 runs them on the main thread (default: src/cluster/trace/pool) */
  traceWorkers?: number
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the store (src/store): route plugins reach the database only through it and src/cluster/actions */
    store: Store
    limits: Limits
    /** runs cluster traces: a pool of worker threads, or this thread (options.traceWorkers 0) */
    traces: TraceExecutor
  }
}

export const DEFAULT_LIMITS: Limits = { ...DEFAULT_REQUEST_LIMITS, bodyLimit: 3 * 1024 * 1024, maxManifestObjects: DEFAULT_MAX_MANIFEST_OBJECTS }

export type App = FastifyInstance

export async function buildApp (opts: BuildAppOptions = {}): Promise<App> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits }
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.bodyLimit,
    // slow clients (headers or body trickled): 408 from Node's http server timers, as a Status
    ...httpServerOptions(limits),
    clientErrorHandler: clientErrorHandler(limits),
    // strict: no type coercion, no silent removal of unknown properties
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
    routerOptions: { ignoreTrailingSlash: true }
  }).withTypeProvider<TypeBoxTypeProvider>()

  const store = opts.store ?? await Store.open({ databaseUrl: opts.databaseUrl })
  // the object cap is checked inside the store's write transactions (src/cluster/actions/quota.ts)
  store.maxClusterObjects = limits.maxClusterObjects
  app.decorate('store', store)
  app.decorate('limits', limits)
  const workers = opts.traceWorkers ?? defaultTraceWorkers()
  const traces: TraceExecutor = workers > 0 ? new TracePool(workers) : new InProcessTraces()
  app.decorate('traces', traces)
  app.addHook('onClose', async () => { await app.traces.close() })
  if (opts.store == null) app.addHook('onClose', async () => { await store.close() })

  // Responses are serialized as they are: response schemas document them, they never strip fields.
  app.setSerializerCompiler(() => (data: unknown) => JSON.stringify(data))
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  addObjectParsers(app)

  for (const s of NAMED_SCHEMAS) app.addSchema(s)
  app.addSchema(ClusterTokensSchema)
  await app.register(auth, { adminToken: opts.adminToken })
  await app.register(requestLimits, limits)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'kubenetsim',
        version: '0.1.0',
        description: 'Virtual Kubernetes clusters (nodes, pods, services, ClusterIP/NodePort allocations) with a Kubernetes-shaped REST API. Every error is a Kubernetes Status object.'
      },
      tags: [
        { name: 'clusters', description: 'virtual clusters' },
        { name: 'nodes', description: 'v1 Nodes' },
        { name: 'pods', description: 'v1 Pods' },
        { name: 'services', description: 'v1 Services with ClusterIP and NodePort allocation' },
        { name: 'endpointslices', description: 'discovery.k8s.io/v1 EndpointSlices derived from pods' },
        { name: 'manifests', description: 'apply multi-document YAML or a JSON List, all or nothing' },
        { name: 'health', description: 'liveness' }
      ],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'the admin token (KUBENETSIM_ADMIN_TOKEN) or a cluster token (read-write or read-only) returned when the cluster is created; required only when the server has an admin token' } } },
      security: [{ bearerAuth: [] }]
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    // Kubernetes object bodies are decoded by src/cluster/decode.ts; `x-body` documents them.
    transform: ({ schema, url }) => {
      const s = schema as Record<string, unknown> | undefined
      if (s?.['x-body'] == null) return { schema: schema as never, url }
      const { 'x-body': body, ...rest } = s
      return { schema: { ...rest, body } as never, url }
    }
  })

  for (const r of ROUTES) await app.register(r.plugin, { prefix: r.prefix })

  if (opts.docs !== false) await app.register(swaggerUi, { routePrefix: '/docs' })

  if (opts.seedDemo === true) {
    const created = await seedDemo(store)
    if (created) app.log.info('created the demo cluster "demo" (the seed note\'s cluster)')
  }
  return app as unknown as App
}
