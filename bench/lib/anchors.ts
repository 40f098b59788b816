/**
 * Our figures next to the published kube-proxy / nftables / peer figures of
 * shared/docs/performance-anchors.md (the anchors are quoted there with their sources).
 */
import type { Figure } from './figures.ts'

interface Anchor {
  /** figure id to compare */
  id: string
  anchor: string
  /** published value in the figure's unit, for the ratio; null = prose only */
  value: number | null
  source: string
}

const ANCHORS: Anchor[] = [
  { id: 'rules.incremental.10000x10', anchor: 'kube-proxy nftables partial sync: adding 1 service at 10k existing ≈ 141 ms', value: 141, source: 'kubernetes PR #126013' },
  { id: 'rules.render.10000x10', anchor: 'kube-proxy nftables: creating 10k services × 2 endpoints ≈ 9 min (after the partial-sync fix)', value: 9 * 60_000, source: 'kubernetes PR #126013' },
  { id: 'rules.render.30000x10', anchor: 'kube-proxy nftables full sync at 44,125 services ≈ 16 min 44 s', value: 1_004_000, source: 'kubernetes#139513' },
  { id: 'kernel.restore.10000x10', anchor: 'iptables-restore of a 695,992-line dump ≈ 12.8 s (nft backend)', value: null, source: 'kubernetes#96018' },
  { id: 'kernel.restore.30000x10', anchor: 'iptables-restore of a 695,992-line dump ≈ 12.8 s (nft backend)', value: null, source: 'kubernetes#96018' },
  { id: 'engine.trace-sample.10000x5', anchor: 'kernel iptables first-packet latency at 10k services: p50 ≈ 60 µs, p99 ≈ 260 µs (chart-read)', value: 60, source: 'kubernetes.io blog 2025-02-28' },
  { id: 'engine.trace-sample.30000x10', anchor: 'kernel iptables first-packet latency at 30k services: p50 ≈ 270 µs (chart-read)', value: 270, source: 'kubernetes.io blog 2025-02-28' },
  { id: 'http.apply.1000', anchor: 'KWOK creates ~20 nodes or pods per second', value: null, source: 'kubernetes-sigs/kwok README' },
  { id: 'rules.rss.10000x10', anchor: 'kube-proxy nftables peak memory at 10k services × 2 endpoints: 260 MiB (was 650)', value: 260, source: 'kubernetes PR #126013' }
]

export function anchorsMarkdown (figs: Figure[]): string {
  const byId = new Map(figs.map(f => [f.id, f]))
  const rows: string[] = []
  for (const a of ANCHORS) {
    const f = byId.get(a.id)
    if (f == null) continue
    let ratio = ''
    if (a.value != null) {
      const r = f.value / a.value
      ratio = r >= 1 ? `${r.toFixed(1)}× the anchor` : `${(1 / r).toFixed(r < 0.01 ? 0 : 1)}× less than the anchor`
    }
    rows.push(`| ${f.label}: **${f.value.toLocaleString('en-US')} ${f.unit}**${f.note != null ? ` (${f.note.replace(/\|/g, '\\|')})` : ''} | ${a.anchor} (${a.source}) | ${ratio} |`)
  }
  if (rows.length === 0) return ''
  return ['| Ours | Published anchor | Ratio |', '|---|---|---|', ...rows].join('\n') + '\n'
}
