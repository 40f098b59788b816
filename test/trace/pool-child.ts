/**
 * Child process of pool.test.ts: builds the app with trace workers on the given database, runs
 * traces (so the workers start), closes the app and then does nothing: the process must exit by
 * itself (no trace thread left running).
 */
import { buildApp } from '../../src/api/app.ts'

const app = await buildApp({ databaseUrl: process.argv[2], seedDemo: true, docs: false, traceWorkers: 2 })
const body = { protocol: 'TCP', destination: { address: '192.168.33.10', port: 30136 }, source: { address: '192.168.33.1' }, mode: 'sample' }
const codes = await Promise.all([1, 2, 3].map(async (seed) => (await app.inject({ method: 'POST', url: '/api/v1/clusters/demo/traces', payload: { ...body, seed } })).statusCode))
await app.close()
process.stdout.write(`traced ${codes.join(',')}\n`)
