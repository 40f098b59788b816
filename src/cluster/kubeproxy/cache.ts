/**
 * Render cache of one cluster's nodes, keyed by the cluster's generation number. A re-render after a
 * change rebuilds only the Services whose Service or EndpointSlices changed (object fingerprint: uid +
 * resourceVersion when present, else the JSON text, memoised per object instance).
 *
 * A Service's rules are the same on every node with the same node-independent proxier configuration,
 * unless they involve local endpoints or the node IP (`ServiceWork.nodeSensitive`), so nodes share
 * one prepared Service and one fragment (restore text, and through it the parsed engine rules):
 * rendering a second node of the cluster reuses the first node's work.
 */
import { createHash } from 'node:crypto'
import type { EndpointSlice, Service } from '../model.ts'
import { sliceSource } from '../endpoints.ts'
import { indexSlices } from './endpoints.ts'
import {
  assembleNodeRules, buildFragment, LARGE_CLUSTER_THRESHOLD, prepareService, rebaseFragment, resolveConfig,
  type GenerateInput, type NodeRules, type ServiceWork
} from './generate.ts'
import { topLevel } from './skeleton.ts'
import type { ProxierConfig, ServiceFragment } from './types.ts'
import { SaveComposer } from './save-fast.ts'

const fpMemo = new WeakMap<object, string>()

/**
 * What identifies an object's content: uid@resourceVersion when it has a version; for an
 * EndpointSlice derived on read (no version of its own), the digest of the objects it was derived
 * from (src/cluster/endpoints.ts); else a digest of its JSON text (not the text itself, which the memo
 * would keep as long as the object lives: tens of MB for a large cluster's slices).
 */
function fingerprint (o: Service | EndpointSlice): string {
  let fp = fpMemo.get(o)
  if (fp == null) {
    const m = o.metadata
    if (m.resourceVersion != null && m.resourceVersion !== '') fp = `${m.uid ?? ''}@${m.resourceVersion}`
    else {
      const src = 'addressType' in o ? sliceSource(o) : undefined
      fp = src != null ? `s:${src}` : `j:${createHash('sha1').update(JSON.stringify(o)).digest('base64')}`
    }
    fpMemo.set(o, fp)
  }
  return fp
}

/** One prepared Service, shared by the nodes of a configuration group (or one node's own if node-sensitive). */
interface Shared {
  key: string
  /** the objects it was prepared from (identity: the cheap unchanged test) */
  svc: Service
  slices: EndpointSlice[] | undefined
  /** fingerprint of those objects, computed when first compared with other objects */
  fp: string | null
  /** `node|nodeIP` for a node-sensitive Service, '' otherwise */
  nodeKey: string
  endpointCount: number
  /** prepared ports and endpoints, kept only until the fragment is built */
  work: ServiceWork | null
  cfg: ProxierConfig
  /** fragment in normal and in large-cluster mode, built on demand */
  frag: ServiceFragment | null
  fragLarge: ServiceFragment | null
  /** node states using it */
  refs: number
}

/** Nodes whose proxier configuration differs only in node name, node IP and local addresses. */
interface Group {
  key: string
  /** Service key → variants (one per fingerprint in use, per node for node-sensitive ones) */
  services: Map<string, Shared[]>
}

interface NodeState {
  generation: number
  group: Group
  /** sorted order the list follows (see KubeProxyRulesCache.sorted) */
  epoch: number
  /** prepared Services in emission order */
  list: Shared[]
  result: NodeRules
  /** memoised views of `result` */
  views: Map<string, unknown>
}

function groupKeyOf (cfg: ProxierConfig): string {
  return JSON.stringify({ ...cfg, nodeName: '', nodeIP: null, localAddresses: [] })
}

function serviceKey (svc: Service): string {
  return `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`
}

function fingerprintOf (svc: Service, slices: EndpointSlice[] | undefined): string {
  let fp = fingerprint(svc)
  if (slices != null) for (const s of slices) fp += '|' + fingerprint(s)
  return fp
}

function sameObjects (sh: Shared, svc: Service, slices: EndpointSlice[] | undefined): boolean {
  if (sh.svc !== svc) return false
  const a = sh.slices
  if (a === slices) return true
  if (a == null || slices == null || a.length !== slices.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== slices[i]) return false
  return true
}

/**
 * Whether `sh` holds the rules of this Service state for this node: the same objects, or equal
 * fingerprints. In the second case `sh` (and its fragments) move to the given objects: the older
 * ones (a previous snapshot's) are then free to go, and the next node finds the same objects.
 */
function matches (sh: Shared, svc: Service, slices: EndpointSlice[] | undefined, nodeKey: string): boolean {
  if (sh.nodeKey !== '' && sh.nodeKey !== nodeKey) return false
  if (sameObjects(sh, svc, slices)) return true
  sh.fp ??= fingerprintOf(sh.svc, sh.slices)
  if (sh.fp !== fingerprintOf(svc, slices)) return false
  sh.svc = svc
  sh.slices = slices
  for (const f of [sh.frag, sh.fragLarge]) if (f != null) rebaseFragment(f, svc, slices ?? [])
  return true
}

/** Sorted order of the last input: unchanged objects keep their place without recomputing keys. */
interface Order {
  epoch: number
  /** a copy of the last input (a caller may modify its array in place between renders) */
  input: Service[]
  /** input index → sorted position */
  pos: Int32Array
  keys: string[]
  byKey: Map<string, number>
}

export class KubeProxyRulesCache {
  private readonly nodes = new Map<string, NodeState>()
  private readonly groups = new Map<string, Group>()
  private order: Order | null = null
  private epochs = 0
  private readonly sliceIndex = new WeakMap<EndpointSlice[], Map<string, EndpointSlice[]>>()
  /** number of Services rebuilt by the last render (for tests and benchmarks) */
  lastRebuilt = 0

  /** Services in `ns/name` order (kube-proxy's emission order), with their keys and the order's epoch. */
  private sorted (services: Service[]): { list: Service[], keys: string[], epoch: number } {
    const n = services.length
    const o = this.order
    if (o != null && o.keys.length === n) {
      // same set of Services (typically: the same objects but one) → same positions
      const list = new Array<Service>(n)
      const pos = new Int32Array(n)
      let ok = true
      const prevLen = o.input.length
      for (let i = 0; i < n; i++) {
        const svc = services[i]
        const at = i < prevLen && o.input[i] === svc ? o.pos[i] : o.byKey.get(serviceKey(svc))
        if (at === undefined || list[at] !== undefined) { ok = false; break }
        list[at] = svc
        pos[i] = at
      }
      if (ok) {
        this.order = { ...o, input: services.slice(), pos }
        return { list, keys: o.keys, epoch: o.epoch }
      }
    }
    const keys = new Array<string>(n)
    for (let i = 0; i < n; i++) keys[i] = serviceKey(services[i])
    const idx = Array.from({ length: n }, (_, i) => i)
    idx.sort((a, b) => keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0)
    const pos = new Int32Array(n)
    const byKey = new Map<string, number>()
    idx.forEach((i, at) => { pos[i] = at; byKey.set(keys[i], at) })
    const sortedKeys = idx.map(i => keys[i])
    // duplicate keys: no position reuse (byKey is smaller than the list)
    this.order = { epoch: ++this.epochs, input: services.slice(), pos, keys: sortedKeys, byKey: byKey.size === n ? byKey : new Map() }
    return { list: idx.map(i => services[i]), keys: sortedKeys, epoch: this.order.epoch }
  }

  private slicesByService (slices: EndpointSlice[]): Map<string, EndpointSlice[]> {
    let m = this.sliceIndex.get(slices)
    if (m == null) this.sliceIndex.set(slices, m = indexSlices(slices))
    return m
  }

  /** Rules of `input.node` at cluster generation `generation` (reused when unchanged). */
  render (input: GenerateInput, generation: number): NodeRules {
    const nodeName = input.node.metadata.name
    const prev = this.nodes.get(nodeName)
    if (prev != null && prev.generation === generation) { this.lastRebuilt = 0; return prev.result }
    const cfg = resolveConfig(input.settings, input.node, input.options)
    const gk = groupKeyOf(cfg)
    let group = this.groups.get(gk)
    if (group == null) this.groups.set(gk, group = { key: gk, services: new Map() })
    const nodeKey = `${cfg.nodeName}|${cfg.nodeIP ?? ''}`
    const byService = this.slicesByService(input.endpointSlices)
    const { list: services, keys, epoch } = this.sorted(input.services)
    const reuse = prev != null && prev.group === group
    // the previous list by position (same sorted order) or, failing that, by key
    const aligned = reuse && prev.epoch === epoch ? prev.list : null
    let prevByKey: Map<string, Shared> | null = null
    if (reuse && aligned == null) {
      prevByKey = new Map()
      for (const sh of prev.list) prevByKey.set(sh.key, sh)
    }
    const list = new Array<Shared>(services.length)
    let total = 0
    for (let i = 0; i < services.length; i++) {
      const svc = services[i]
      const key = keys[i]
      const slices = byService.get(key)
      const old = aligned != null ? aligned[i] : prevByKey?.get(key)
      let sh: Shared | undefined
      if (old != null && matches(old, svc, slices, nodeKey)) sh = old
      else {
        const variants = group.services.get(key)
        if (variants != null) for (const v of variants) if (matches(v, svc, slices, nodeKey)) { sh = v; break }
        if (sh == null) {
          const work = prepareService(svc, slices ?? [], cfg)
          sh = { key, svc, slices, fp: null, nodeKey: work.nodeSensitive ? nodeKey : '', endpointCount: work.endpointCount, work, cfg, frag: null, fragLarge: null, refs: 0 }
          if (variants != null) variants.push(sh)
          else group.services.set(key, [sh])
        }
      }
      total += sh.endpointCount
      list[i] = sh
    }
    const large = cfg.profile === 'current' && total > LARGE_CLUSTER_THRESHOLD
    let rebuilt = 0
    const fragments = new Array<ServiceFragment>(list.length)
    for (let i = 0; i < list.length; i++) {
      const sh = list[i]
      let f = large ? sh.fragLarge : sh.frag
      if (f == null) {
        rebuilt++
        f = buildFragment(sh.work ?? prepareService(sh.svc, sh.slices ?? [], sh.cfg), sh.cfg, large)
        if (large) sh.fragLarge = f
        else sh.frag = f
      }
      sh.work = null
      fragments[i] = f
    }
    // reference counts: a variant no node uses any more is dropped
    for (const sh of list) sh.refs++
    if (prev != null) for (const sh of prev.list) this.release(prev.group, sh)
    const result = assembleNodeRules(cfg, large, topLevel(cfg), fragments)
    this.lastRebuilt = rebuilt
    this.nodes.set(nodeName, { generation, group, epoch, list, result, views: new Map() })
    return result
  }

  private release (group: Group, sh: Shared): void {
    if (--sh.refs > 0) return
    const variants = group.services.get(sh.key)
    if (variants == null) return
    const i = variants.indexOf(sh)
    if (i >= 0) variants.splice(i, 1)
    if (variants.length === 0) group.services.delete(sh.key)
    if (group.services.size === 0) this.groups.delete(group.key)
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
    const st = this.nodes.get(nodeName)
    if (st != null) for (const sh of st.list) this.release(st.group, sh)
    this.nodes.delete(nodeName)
    this.composers.delete(nodeName)
  }
}

