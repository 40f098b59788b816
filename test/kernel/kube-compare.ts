/**
 * Generated node rulesets vs the kernel: inputs (demo, flow-case scenarios, random clusters) and the
 * load → save → compare step, shared by test/kernel/kube-rules.test.ts and scripts/kernel-diff.ts.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Lab } from './netns.ts'
import { normalizeSave, firstDiff } from './kernel-tools.ts'
import { loadNode } from './kube-node.ts'
import { randomCluster, nodeInput } from './random-cluster.ts'
import { KUBE_PROXY_CONF } from './engine.ts'
import { generateNodeRules, saveView } from '../../src/cluster/kubeproxy/index.ts'
import type { GenerateInput } from '../../src/cluster/kubeproxy/index.ts'
import { demoInput } from '../kubeproxy/demo.ts'
import { caseInput } from '../kubeproxy/fixtures.ts'
import type { FlowCases } from '../kubeproxy/fixtures.ts'

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

export const CLUSTER_SEEDS = [1, 3, 4]

export function randomInputs (seeds: number[]): NamedInput[] {
  const out: NamedInput[] = []
  for (const seed of seeds) {
    const c = randomCluster(seed)
    for (const n of c.nodes) out.push({ name: `cluster seed ${seed} (${c.settings.kubeProxy.profile}) ${n.name}`, input: nodeInput(c, n.name) as GenerateInput })
  }
  return out
}

/** Loads one generated node into a fresh namespace; returns null when kernel and save view agree. */
export function compareNode (lab: Lab, role: string, input: GenerateInput): { kernel: string, ours: string, diff: string | null } {
  const nr = generateNodeRules(input)
  const ns = lab.ns(role, { rulesOnly: true })
  loadNode(lab, ns, nr)
  const kernel = normalizeSave(lab.save(ns))
  const ours = normalizeSave(saveView(nr, { date: 'X' }))
  return { kernel, ours, diff: firstDiff(kernel, ours) }
}

