/**
 * Rule-generation benchmark: one node's kube-proxy rules for N services × 10 endpoints (every tenth
 * service a NodePort), full render (restore text; save view when the engine renderer is available),
 * re-render after changing one service, and RSS.  Run: npx tsx bench/rules.ts [sizes...]
 */
import { KubeProxyRulesCache } from '../src/cluster/kubeproxy/index.ts'
import { cluster } from './rules-input.ts'
import { saveView } from '../src/cluster/kubeproxy/save.ts'

function ms (t0: bigint): string { return (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1) }

const sizes = process.argv.slice(2).map(Number).filter(x => x > 0)
for (const n of sizes.length > 0 ? sizes : [1000, 10000, 30000]) {
  const input = cluster(n)
  const cache = new KubeProxyRulesCache()
  let t = process.hrtime.bigint()
  const nr = cache.render(input, 1)
  const restoreMs = ms(t)
  t = process.hrtime.bigint()
  const save = saveView(nr, { date: new Date(0) }, cache)
  const saveMs = ms(t)
  // change one service (new object, new resourceVersion) and re-render
  const k = Math.floor(n / 2)
  const svc = input.services[k]
  input.services[k] = { ...svc, metadata: { ...svc.metadata, resourceVersion: '2' }, spec: { ...svc.spec, ports: [{ ...svc.spec.ports[0], port: 81 }] } }
  t = process.hrtime.bigint()
  const nr2 = cache.render(input, 2)
  const reMs = ms(t)
  const rebuilt = cache.lastRebuilt
  t = process.hrtime.bigint()
  const save2 = saveView(nr2, { date: new Date(0) }, cache)
  const reSaveMs = ms(t)
  const rss = (process.memoryUsage().rss / 1048576).toFixed(0)
  const lines = nr.restore.split('\n').length
  console.log(`${n} services × 10 endpoints: ${lines} restore lines, save ${save.length} chars` +
    ` | full render: restore ${restoreMs} ms, save view ${saveMs} ms` +
    ` | after 1 change (${rebuilt} rebuilt): restore ${reMs} ms, save view ${reSaveMs} ms (${save2.length} chars) | RSS ${rss} MiB`)
}
