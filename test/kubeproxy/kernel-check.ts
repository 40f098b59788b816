/**
 * Ground-truth check (not part of `npm test`: needs root and creates a network namespace): loads the
 * node document of every conformance input, in both profiles, into a throw-away namespace with the real
 * iptables-restore and compares `iptables-save` with our save view. Run: npx tsx test/kubeproxy/kernel-check.ts
 */
import { generateNodeRules, nodeDocument, saveView } from '../../src/cluster/kubeproxy/index.ts'
import { caseInput, loadCases } from './fixtures.ts'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
let same = 0, diff = 0
const ns = 'kns-kpchk'
for (const c of loadCases().tests) {
  if (c.services == null || c.services.length === 0 || c.proxierConfig?.ipFamily === 'IPv6') continue
  for (const profile of ['current', 'legacy'] as const) {
    const base = caseInput(c.services, c.endpointSlices ?? [], c.proxierConfig)
    const input = { ...base, settings: { ...base.settings, kubeProxy: { ...base.settings.kubeProxy, profile } }, options: { ...base.options, markStyle: 'kube-proxy' as const, randomFully: true, nfacct: false } }
    const nr = generateNodeRules(input)
    const doc = nodeDocument(nr).text
    execFileSync('ip', ['netns', 'add', ns])
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'iptables-restore'], { input: doc })
      const kernel = execFileSync('ip', ['netns', 'exec', ns, 'iptables-save']).toString()
      const date = /on (.*)\n/.exec(kernel)![1]
      const ours = saveView(nr, { date })
      if (ours === kernel) same++
      else { diff++; console.log('DIFF', c.name, c.subtest, profile); writeFileSync(`/tmp/k-${diff}.txt`, kernel); writeFileSync(`/tmp/o-${diff}.txt`, ours) }
    } catch (e) { diff++; console.log('ERR', c.name, c.subtest, profile, String(e).slice(0, 300)) } finally { execFileSync('ip', ['netns', 'del', ns]) }
  }
}
console.log({ same, diff })
