/**
 * Rules round-trip against the real kernel: each ruleset is loaded with `iptables-restore` (nf_tables
 * backend) into a fresh network namespace and read back with `iptables-save`; the kernel's text is the
 * oracle. Our engine's parse → canonical render of the same input must equal it byte for byte
 * (header/date comment lines and counters aside).
 */
import { test, describe, before } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { kernelSkipReason, cleanupStale, withLab } from './netns.ts'
import { normalizeSave, firstDiff, kernelRoundTrip } from './kernel-tools.ts'
import { randomRuleset } from './random-rules.ts'
import { canonicalRenderer, KERNEL_TRACES, KUBE_PROXY_CONF } from './engine.ts'

const skip = kernelSkipReason()

/** nfacct matches need counter objects created over netlink first (kube-proxy does that; we have no
 * tool for it), so they are removed from inputs on both sides. */
export function stripNfacct (text: string): string {
  return text.replace(/ -m nfacct --nfacct-name \S+/g, '')
}

function handWritten (): Array<{ name: string, text: string }> {
  const out: Array<{ name: string, text: string }> = []
  for (const f of readdirSync(KERNEL_TRACES).sort()) {
    if (/^canon\d*\.rules$/.test(f) || /^rules\d*\.txt$/.test(f)) out.push({ name: f, text: readFileSync(resolve(KERNEL_TRACES, f), 'utf8') })
  }
  for (const f of readdirSync(KUBE_PROXY_CONF).sort()) {
    if (f.startsWith('kube-proxy-expected-')) out.push({ name: f, text: stripNfacct(readFileSync(resolve(KUBE_PROXY_CONF, f), 'utf8')) })
  }
  out.push({ name: 'tricky.rules', text: readFileSync(new URL('./fixtures/tricky.rules', import.meta.url), 'utf8') })
  return out
}

export const RANDOM_SEEDS = Array.from({ length: 25 }, (_, i) => 1000 + i)

describe('kernel: iptables-restore → iptables-save round-trip', { skip: skip ?? false }, () => {
  before(() => { cleanupStale() })

  test('the golden canon*.rules still canonicalise as captured (harness and kernel sanity)', async () => {
    await withLab(lab => {
      for (const f of ['canon.rules', 'canon2.rules']) {
        const ns = lab.ns(f.replace(/\W/g, ''), { rulesOnly: true })
        const got = kernelRoundTrip(lab, ns, readFileSync(resolve(KERNEL_TRACES, f), 'utf8'))
        const want = normalizeSave(readFileSync(resolve(KERNEL_TRACES, `${f}.nft-save.out`), 'utf8'))
        assert.equal(got, want, `${f}: ${firstDiff(got, want, 'kernel now', 'captured') ?? ''}`)
      }
    })
  })

  test('hand-written rulesets: engine canonical render equals the kernel', async (t) => {
    const render = await canonicalRenderer()
    if (typeof render === 'string') return t.skip(render)
    const failures: string[] = []
    const cases = handWritten()
    await withLab(lab => {
      cases.forEach((c, i) => {
        const kernel = kernelRoundTrip(lab, lab.ns(`h${i}`, { rulesOnly: true }), c.text)
        let ours: string
        try {
          ours = normalizeSave(render(c.text))
        } catch (e) {
          failures.push(`${c.name}: engine threw ${(e as Error).message}`)
          return
        }
        const d = firstDiff(kernel, ours)
        if (d !== null) failures.push(`${c.name}: ${d}`)
      })
    })
    t.diagnostic(`hand-written rulesets agreeing: ${cases.length - failures.length}/${cases.length}`)
    assert.deepEqual(failures, [])
  })

  test(`seeded random rulesets (${RANDOM_SEEDS.length} seeds): kernel accepts them and the engine renders them as the kernel saves them`, async (t) => {
    const render = await canonicalRenderer()
    const failures: string[] = []
    await withLab(lab => {
      for (const seed of RANDOM_SEEDS) {
        const text = randomRuleset(seed)
        const kernel = kernelRoundTrip(lab, lab.ns(`s${seed}`, { rulesOnly: true }), text) // throws if the kernel refuses it
        // the kernel's own output is a fixed point of restore → save
        const again = kernelRoundTrip(lab, lab.namespaces[lab.namespaces.length - 1], kernel)
        assert.equal(again, kernel, `seed ${seed}: iptables-save output is not stable under restore`)
        if (typeof render === 'string') continue
        let ours: string
        try {
          ours = normalizeSave(render(text))
        } catch (e) {
          failures.push(`seed ${seed}: engine threw ${(e as Error).message}`)
          continue
        }
        const d = firstDiff(kernel, ours)
        if (d !== null) failures.push(`seed ${seed}: ${d}`)
      }
    })
    if (typeof render === 'string') return t.skip(`engine comparison: ${render}`)
    t.diagnostic(`random rulesets agreeing: ${RANDOM_SEEDS.length - failures.length}/${RANDOM_SEEDS.length}`)
    assert.deepEqual(failures, [], `reproduce with: npx tsx scripts/kernel-diff.ts --mode rules --seed ${RANDOM_SEEDS[0]} --cases ${RANDOM_SEEDS.length}`)
  })
})
