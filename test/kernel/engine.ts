/**
 * Where the kernel tests meet our code. Other helpers build the engine (`src/netfilter/index.ts`) and
 * the kube-proxy generator (`src/cluster/kubeproxy/`) concurrently; each comparison plugs in as soon as
 * the export it needs exists, and until then the test says which export it waits for.
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { resolve, dirname } from 'node:path'

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
/** `shared/` lies beside the repository (locally /work/shared, in CI beside the clone). */
export const SHARED = resolve(REPO, '../shared')
export const KERNEL_TRACES = resolve(SHARED, 'conformance/kernel-traces')
export const KUBE_PROXY_CONF = resolve(SHARED, 'conformance/kube-proxy')

export function sharedFile (...parts: string[]): string {
  return readFileSync(resolve(SHARED, ...parts), 'utf8')
}

type AnyFn = (...args: any[]) => any
type Module = Record<string, unknown>

async function tryImport (rel: string): Promise<Module | null> {
  const p = resolve(REPO, rel)
  if (!existsSync(p)) return null
  return await import(p) as Module
}

let netfilterMod: Promise<Module | null> | undefined
export async function netfilter (): Promise<Module | null> {
  netfilterMod ??= tryImport('src/netfilter/index.ts')
  return await netfilterMod
}

/** The engine's parse → canonical render, or a reason why it is not available yet. */
export async function canonicalRenderer (): Promise<((text: string) => string) | string> {
  const nf = await netfilter()
  if (nf === null) return 'src/netfilter/index.ts does not exist yet'
  const parse = nf.parseRuleset as AnyFn | undefined
  const render = nf.renderRuleset as AnyFn | undefined
  if (typeof parse !== 'function' || typeof render !== 'function') return 'src/netfilter/index.ts does not export parseRuleset and renderRuleset yet'
  return (text: string) => {
    const parsed = parse(text)
    // accept either a Ruleset or a { ruleset } result object
    const rs = parsed?.tables instanceof Map ? parsed : (parsed?.ruleset ?? parsed)
    return String(render(rs))
  }
}

export interface EngineHostSpec {
  interfaces: Array<{ name: string, addresses?: string[], routeLocalnet?: boolean }>
  routes?: Array<{ dst: string, via?: string, dev?: string }>
  ipForward?: boolean
  routeLocalnet?: boolean
}

/** What a trace comparison needs from the engine: evaluate one packet with a persistent state. */
export interface EngineSession {
  evaluate: (packet: Record<string, unknown>, opts?: Record<string, unknown>) => any
  newState: (seed?: number) => void
  setState: (state: unknown) => void
}

/** Builds an engine session for a ruleset text on a host, or returns why it cannot yet. */
export async function engineSession (): Promise<((rules: string, host: EngineHostSpec) => EngineSession) | string> {
  const nf = await netfilter()
  if (nf === null) return 'src/netfilter/index.ts does not exist yet'
  const need = ['parseRuleset', 'prepareRuleset', 'evaluatePacket', 'createEngineState']
  const missing = need.filter(n => typeof nf[n] !== 'function')
  if (missing.length > 0) return `src/netfilter/index.ts does not export ${missing.join(', ')} yet`
  const parse = nf.parseRuleset as AnyFn
  const prepare = nf.prepareRuleset as AnyFn
  const evaluate = nf.evaluatePacket as AnyFn
  const createState = nf.createEngineState as AnyFn
  const createHost = nf.createHost as AnyFn | undefined
  return (rules, hostSpec) => {
    const parsed = parse(rules)
    const rs = parsed?.tables instanceof Map ? parsed : (parsed?.ruleset ?? parsed)
    const prepared = prepare(rs)
    const host = createHost !== undefined ? createHost(hostSpec) : hostSpec
    let state = createState({ seed: 1 })
    return {
      evaluate: (packet, opts = {}) => evaluate(prepared, host, packet, state, { backend: 'nft', detail: 'matched', ...opts }),
      newState: (seed = 1) => { state = createState({ seed }) },
      setState: (st: unknown) => { state = st }
    }
  }
}

/** The evaluator functions the cluster fate walker needs, or why they are not available yet. */
export async function engineApi (): Promise<import('./engine-cluster.ts').EngineApi | string> {
  const nf = await netfilter()
  if (nf === null) return 'src/netfilter/index.ts does not exist yet'
  const need = ['parseRuleset', 'prepareRuleset', 'evaluatePacket', 'createEngineState', 'createHost']
  const missing = need.filter(n => typeof nf[n] !== 'function')
  if (missing.length > 0) return `src/netfilter/index.ts does not export ${missing.join(', ')} yet`
  return nf as unknown as import('./engine-cluster.ts').EngineApi
}
