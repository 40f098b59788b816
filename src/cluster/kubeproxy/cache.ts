/**
 * Per-node render cache keyed by the cluster's generation number. A re-render after a change rebuilds
 * only the Services whose Service or EndpointSlices changed (object fingerprint: uid + resourceVersion
 * when present, else the JSON text, memoised per object instance) and re-joins cached text fragments.
 */
import type { EndpointSlice, Service } from '../model.ts'
import { indexSlices } from './endpoints.ts'
import {
  buildFragment, LARGE_CLUSTER_THRESHOLD, prepareService, resolveConfig, sortServices,
  type GenerateInput, type NodeRules, type ServiceWork
} from './generate.ts'
import { staticPart, topLevel } from './skeleton.ts'
import type { RuleRecord, ServiceFragment } from './types.ts'
import { SaveComposer } from './save-fast.ts'

const fpMemo = new WeakMap<object, string>()

function fingerprint (o: Service | EndpointSlice): string {
  let fp = fpMemo.get(o)
  if (fp == null) {
    const m = o.metadata
    fp = m.resourceVersion != null && m.resourceVersion !== '' ? `${m.uid ?? ''}@${m.resourceVersion}` : JSON.stringify(o)
    fpMemo.set(o, fp)
  }
  return fp
}

interface Entry {
  fp: string
  work: ServiceWork
  frag: ServiceFragment
  filterText: string
  natChainText: string
  natRuleText: string
}

interface NodeState {
  generation: number
  cfgKey: string
  large: boolean
  entries: Map<string, Entry>
  result: NodeRules
  /** memoised views of `result` */
  views: Map<string, unknown>
}

const lines = (rs: RuleRecord[]): string => rs.length === 0 ? '' : rs.map(r => r.text).join('\n') + '\n'

export class KubeProxyRulesCache {
  private readonly nodes = new Map<string, NodeState>()
  /** number of Services rebuilt by the last render (for tests and benchmarks) */
  lastRebuilt = 0

  /** Rules of `input.node` at cluster generation `generation` (reused when unchanged). */
  render (input: GenerateInput, generation: number): NodeRules {
    const nodeName = input.node.metadata.name
    const prev = this.nodes.get(nodeName)
    if (prev != null && prev.generation === generation) { this.lastRebuilt = 0; return prev.result }
    const cfg = resolveConfig(input.settings, input.node, input.options)
    const cfgKey = JSON.stringify(cfg)
    const byService = indexSlices(input.endpointSlices)
    const reuse = prev != null && prev.cfgKey === cfgKey
    const entries = new Map<string, Entry>()
    const pending: Array<{ key: string, fp: string, work: ServiceWork }> = []
    let total = 0
    let rebuilt = 0
    for (const svc of sortServices(input.services)) {
      const key = `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`
      const slices = byService.get(key) ?? []
      let fp = fingerprint(svc)
      for (const s of slices) fp += '|' + fingerprint(s)
      const old = reuse ? prev.entries.get(key) : undefined
      if (old != null && old.fp === fp) {
        total += old.work.endpointCount
        pending.push({ key, fp, work: old.work })
      } else {
        const work = prepareService(svc, slices, cfg)
        total += work.endpointCount
        pending.push({ key, fp, work })
      }
    }
    const large = cfg.profile === 'current' && total > LARGE_CLUSTER_THRESHOLD
    const keepFrags = reuse && prev.large === large
    for (const p of pending) {
      const old = keepFrags ? prev.entries.get(p.key) : undefined
      if (old != null && old.fp === p.fp) { entries.set(p.key, old); continue }
      rebuilt++
      const frag = buildFragment(p.work, cfg, large)
      entries.set(p.key, {
        fp: p.fp,
        work: p.work,
        frag,
        filterText: lines(frag.filterRules),
        natChainText: frag.natChains.length === 0 ? '' : frag.natChains.map(c => `:${c} - [0:0]`).join('\n') + '\n',
        natRuleText: lines(frag.natRules)
      })
    }
    const top = topLevel(cfg)
    const all = [...entries.values()]
    let restoreMemo: string | null = null
    const restoreText = (): string => {
      if (restoreMemo != null) return restoreMemo
      const parts: string[] = ['*filter\n', ...top.filterChains.map(c => `:${c} - [0:0]\n`), lines(top.filterHead)]
      for (const e of all) parts.push(e.filterText)
      parts.push(lines(top.filterTail), 'COMMIT\n*nat\n', ...top.natChains.map(c => `:${c} - [0:0]\n`))
      for (const e of all) parts.push(e.natChainText)
      parts.push(lines(top.natHead))
      for (const e of all) parts.push(e.natRuleText)
      parts.push(lines(top.natTail), 'COMMIT\n')
      restoreMemo = parts.join('')
      return restoreMemo
    }
    const fragments = all.map(e => e.frag)
    let rulesMemo: RuleRecord[] | null = null
    const result: NodeRules = {
      node: cfg.nodeName,
      profile: cfg.profile,
      config: cfg,
      largeClusterMode: large,
      static: staticPart(cfg),
      top,
      fragments,
      /** built on first use (the restore text of a large node is tens of MB) */
      get restore (): string { return restoreText() },
      get rules (): RuleRecord[] {
        if (rulesMemo == null) {
          rulesMemo = [...top.filterHead]
          for (const f of fragments) for (const r of f.filterRules) rulesMemo.push(r)
          for (const r of top.filterTail) rulesMemo.push(r)
          for (const r of top.natHead) rulesMemo.push(r)
          for (const f of fragments) for (const r of f.natRules) rulesMemo.push(r)
          for (const r of top.natTail) rulesMemo.push(r)
        }
        return rulesMemo
      }
    }
    this.lastRebuilt = rebuilt
    this.nodes.set(nodeName, { generation, cfgKey, large, entries, result, views: new Map() })
    return result
  }

  /** Memoised derived value (a view) of a node's current result. */
  view<T> (nodeName: string, key: string, make: () => T): T {
    const st = this.nodes.get(nodeName)
    if (st == null) return make()
    if (!st.views.has(key)) st.views.set(key, make())
    return st.views.get(key) as T
  }

  private readonly composers = new Map<string, SaveComposer>()

  /** The incremental save-view composer of a node. */
  composer (nodeName: string): SaveComposer {
    let c = this.composers.get(nodeName)
    if (c == null) this.composers.set(nodeName, c = new SaveComposer())
    return c
  }

  /** Drops a node's cached state (e.g. node deleted). */
  forget (nodeName: string): void {
    this.nodes.delete(nodeName)
    this.composers.delete(nodeName)
  }
}
