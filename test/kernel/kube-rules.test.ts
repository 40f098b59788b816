/**
 * Generated node rulesets against the kernel: each node's rules (the demo cluster, every IPv4
 * kube-proxy flow-case scenario, seeded random clusters) are loaded into a fresh namespace the way
 * kube-proxy loads them (static part, then `iptables-restore --noflush` of the restore data), read
 * back with `iptables-save` and compared byte for byte with our `save` view (header lines and counters
 * aside). The restore data being accepted at all is asserted too: a rule the kernel refuses fails.
 */
import { test, describe, before } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { kernelSkipReason, cleanupStale, withLab } from './netns.ts'
import { normalizeSave, firstDiff } from './kernel-tools.ts'
import { loadNode } from './kube-node.ts'
import { randomCluster, nodeInput } from './random-cluster.ts'
import { KUBE_PROXY_CONF } from './engine.ts'
import { generateNodeRules, saveView } from '../../src/cluster/kubeproxy/index.ts'
import type { GenerateInput } from '../../src/cluster/kubeproxy/index.ts'
import { demoInput } from '../kubeproxy/demo.ts'
import { caseInput } from '../kubeproxy/fixtures.ts'
import type { FlowCases } from '../kubeproxy/fixtures.ts'

const skip = kernelSkipReason()

export interface NamedInput { name: string, input: GenerateInput }

/** The demo cluster and every IPv4 flow-case scenario with services, with a real node's options. */
export function scenarioInputs (): NamedInput[] {
  const out: NamedInput[] = [{ name: 'demo (legacy profile)', input: demoInput() }]
  const cases = JSON.parse(readFileSync(resolve(KUBE_PROXY_CONF, 'kube-proxy-flow-cases.json'), 'utf8')) as FlowCases
  for (const c of cases.tests) {
    if (c.services === undefined || c.proxierConfig?.ipFamily === 'IPv6') continue
    const input = caseInput(c.services, c.endpointSlices ?? [], c.proxierConfig ?? {})
    // a real node: kube-proxy's own marks, --random-fully available, no nfacct objects (no tool here)
    input.options = { ...input.options, markStyle: 'kube-proxy', randomFully: true, nfacct: false }
    out.push({ name: `${c.name}${c.subtest !== undefined ? ` / ${c.subtest}` : ''}`, input })
  }
  return out
}

export const CLUSTER_SEEDS = [1, 2, 3, 4, 5]

export function randomInputs (seeds: number[]): NamedInput[] {
  const out: NamedInput[] = []
  for (const seed of seeds) {
    const c = randomCluster(seed)
    for (const n of c.nodes) out.push({ name: `cluster seed ${seed} (${c.settings.kubeProxy.profile}) ${n.name}`, input: nodeInput(c, n.name) as GenerateInput })
  }
  return out
}

/** Loads one generated node into a fresh namespace; returns null when kernel and save view agree. */
export function compareNode (lab: import('./netns.ts').Lab, role: string, input: GenerateInput): { kernel: string, ours: string, diff: string | null } {
  const nr = generateNodeRules(input)
  const ns = lab.ns(role, { rulesOnly: true })
  loadNode(lab, ns, nr)
  const kernel = normalizeSave(lab.save(ns))
  const ours = normalizeSave(saveView(nr, { date: 'X' }))
  return { kernel, ours, diff: firstDiff(kernel, ours) }
}

describe('kernel: generated node rulesets load and save as our save view says', { skip: skip ?? false }, () => {
  before(() => { cleanupStale() })

  for (const [label, inputs] of [['demo and kube-proxy flow-case scenarios', scenarioInputs], [`random clusters (seeds ${CLUSTER_SEEDS.join(',')})`, () => randomInputs(CLUSTER_SEEDS)]] as const) {
    test(label, async (t) => {
      const all = inputs()
      const failures: string[] = []
      await withLab(lab => {
        all.forEach((c, i) => {
          try {
            const r = compareNode(lab, `k${i}`, c.input)
            if (r.diff !== null) failures.push(`${c.name}: ${r.diff}`)
          } catch (e) {
            failures.push(`${c.name}: ${(e as Error).message}`)
          }
        })
      })
      t.diagnostic(`node rulesets agreeing: ${all.length - failures.length}/${all.length}`)
      assert.deepEqual(failures, [])
    })
  }
})
