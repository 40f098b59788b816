/**
 * Generated node rulesets against the kernel: each node's rules (the demo cluster, every IPv4
 * kube-proxy flow-case scenario, seeded random clusters) are loaded into a fresh namespace the way
 * kube-proxy loads them (static part, then `iptables-restore --noflush` of the restore data), read
 * back with `iptables-save` and compared byte for byte with our `save` view (header lines and counters
 * aside). The restore data being accepted at all is asserted too: a rule the kernel refuses fails.
 */
import { test, describe, before } from 'node:test'
import assert from 'node:assert/strict'
import { kernelSkipReason, cleanupStale, withLab } from './netns.ts'
import { scenarioInputs, randomInputs, compareNode, CLUSTER_SEEDS } from './kube-compare.ts'

const skip = kernelSkipReason()

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
