/**
 * HTTP load helpers: the app built in-process by buildApp on a temp SQLite file, listening on
 * 127.0.0.1 only, and autocannon's programmatic API (load generated in a worker thread so the
 * server's event loop is not the one making the requests).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import autocannon from 'autocannon'
import { buildApp, type App } from '../../src/api/app.ts'

export interface Server {
  app: App
  /** e.g. http://127.0.0.1:40123 */
  url: string
  close: () => Promise<void>
}

export async function startServer (): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'kns-bench-http-'))
  const app = await buildApp({ databaseUrl: 'file:' + join(dir, 'bench.db'), docs: false, logger: false, limits: { bodyLimit: 64 * 1024 * 1024, maxManifestObjects: 1_000_000, maxClusterObjects: 0 } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export interface Answer { status: number, ms: number, text: string }

/** One request with fetch; wall time from send to the end of the body. */
export async function call (url: string, method: string, body?: unknown, type = 'application/json'): Promise<Answer> {
  const t0 = performance.now()
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': type },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  })
  const text = await res.text()
  return { status: res.status, ms: performance.now() - t0, text }
}

export interface LoadRequest { method: 'GET' | 'POST', path: string, body?: string, headers?: Record<string, string> }

export interface LoadResult {
  /** mean requests per second over the run */
  rps: number
  p50: number
  p90: number
  p99: number
  max: number
  total: number
  non2xx: number
  errors: number
  timeouts: number
}

/**
 * autocannon against `url` for `seconds` with `connections`; each connection cycles through
 * `requests` in order. `workers: 1` runs the load generator in a worker thread.
 */
export async function load (url: string, requests: LoadRequest[], connections: number, seconds: number): Promise<LoadResult> {
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    workers: 1,
    requests: requests.map(q => ({ method: q.method, path: q.path, body: q.body, headers: { 'content-type': 'application/json', ...q.headers } }))
  })
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts
  }
}
