/**
 * Slow clients (src/api/limits.ts httpServerOptions, clientErrorHandler): a client that sends its
 * headers and then trickles the body, or never finishes its headers, gets 408 Timeout as a Status and
 * the connection is closed; a request received in time may run longer than the client timeout.
 * Raw sockets, because an HTTP client library always finishes what it sends.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { build } from '../helper.ts'

const LIMITS = { headersTimeoutMs: 300, clientTimeoutMs: 700, requestTimeoutMs: 0 }

async function listening (t: Parameters<typeof build>[0], limits = LIMITS): Promise<{ port: number, app: Awaited<ReturnType<typeof build>>['app'] }> {
  const { app } = await build(t, { limits })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: (app.server.address() as AddressInfo).port, app }
}

/** Everything the server sends until it closes the connection, and when that happened. */
async function rawExchange (port: number, drive: (s: Socket) => void | Promise<void>): Promise<{ text: string, closedAfterMs: number }> {
  const s = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject) })
  const t0 = Date.now()
  const chunks: Buffer[] = []
  s.on('data', (b: Buffer) => chunks.push(b))
  const closed = new Promise<number>(resolve => {
    s.on('error', () => {})
    s.on('close', () => { resolve(Date.now() - t0) })
  })
  await drive(s)
  const closedAfterMs = await closed
  return { text: Buffer.concat(chunks).toString('utf8'), closedAfterMs }
}

function statusOf (text: string): { code: number, body: any } {
  const [head, body] = text.split('\r\n\r\n')
  return { code: Number(head.split(' ')[1]), body: JSON.parse(body) }
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

test('a body trickled past the client timeout: 408 Timeout Status, connection closed', async (t) => {
  const { port } = await listening(t)
  const body = JSON.stringify({ metadata: { name: 'slow' } })
  let stop = false
  const { text, closedAfterMs } = await rawExchange(port, async (s) => {
    s.write(`POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`)
    s.once('close', () => { stop = true })
    // one byte every 100 ms: the whole body would take seconds
    for (let i = 0; i < body.length - 1 && !stop; i++) {
      s.write(body[i])
      await sleep(100)
    }
  })
  const r = statusOf(text)
  assert.equal(r.code, 408)
  assert.equal(r.body.kind, 'Status')
  assert.equal(r.body.reason, 'Timeout')
  assert.equal(r.body.code, 408)
  assert.match(r.body.message, /700 ms/)
  assert.ok(closedAfterMs < 2500, `closed after ${closedAfterMs} ms`)
})

test('headers never finished: 408, connection closed', async (t) => {
  const { port, app } = await listening(t)
  const { text, closedAfterMs } = await rawExchange(port, (s) => {
    s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ')
  })
  assert.equal(statusOf(text).code, 408)
  assert.ok(closedAfterMs < 2000, `closed after ${closedAfterMs} ms`)
  // the slow client did not consume the server: the cluster list was not touched
  const ok = await app.inject({ method: 'GET', url: '/api/v1/clusters' })
  assert.equal(ok.statusCode, 200)
  assert.equal(ok.json().items.length, 0)
})

test('a request received in time may run past the client timeout (it is not cut)', async (t) => {
  const { port, app } = await listening(t)
  await app.inject({ method: 'POST', url: '/api/v1/clusters', payload: { metadata: { name: 'a' } } })
  // a long write holds the store: the GET below is received at once, then waits 1.2 s in its handler
  const long = app.store.write(async () => { await sleep(1200) })
  const { text } = await rawExchange(port, (s) => {
    s.write('GET /api/v1/clusters/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  })
  await long
  const [head, body] = text.split('\r\n\r\n')
  assert.match(head, /^HTTP\/1\.1 200 /)
  assert.equal(JSON.parse(body).metadata.name, 'a')
})

test('a request sent in full at normal speed is served', async (t) => {
  const { port } = await listening(t)
  const body = JSON.stringify({ metadata: { name: 'quick' } })
  const { text } = await rawExchange(port, async (s) => {
    s.write(`POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`)
    await sleep(100)
    s.write(body)
  })
  assert.match(text, /^HTTP\/1\.1 201 /)
})

test('malformed HTTP and oversized headers: a Status too (400, 431), connection closed', async (t) => {
  const { port } = await listening(t)
  const bad = await rawExchange(port, (s) => { s.write('NOT HTTP AT ALL\r\n\r\n') })
  assert.equal(statusOf(bad.text).code, 400)
  assert.equal(statusOf(bad.text).body.reason, 'BadRequest')
  const big = await rawExchange(port, (s) => { s.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`) })
  assert.equal(statusOf(big.text).code, 431)
  assert.equal(statusOf(big.text).body.kind, 'Status')
})
