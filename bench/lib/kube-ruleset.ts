// kube-proxy-shaped node ruleset generator for the engine benchmarks (iptables-save text):
// per service a KUBE-SERVICES ClusterIP jump, a KUBE-SVC chain with the masquerade rule and the
// statistic cascade, one KUBE-SEP chain per endpoint; every 10th service also has a NodePort.
function hash (s: string): string {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0 }
  return h.toString(36).toUpperCase().padStart(7, '0').slice(0, 16)
}
export const ip = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
export function buildKubeRuleset (SERVICES: number, EPS: number): string {
  const svcIp = (i: number): number => ((10 << 24) | (96 << 16)) + 10 + i
  const epIp = (i: number, j: number): number => ((10 << 24) | (244 << 16)) + ((i * EPS + j) % 60000) + 2
  const chains: string[] = []
  const nat: string[] = []
  nat.push('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
  nat.push('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
  nat.push('-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING')
  nat.push('-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000')
  nat.push('-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN')
  nat.push('-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000')
  nat.push('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully')
  const svcRules: string[] = []
  const npRules: string[] = []
  for (let i = 0; i < SERVICES; i++) {
    const name = `ns${i % 50}/svc-${i}:http`
    const svc = `KUBE-SVC-${hash('svc' + i)}`
    const port = 80 + (i % 3)
    chains.push(svc)
    svcRules.push(`-A KUBE-SERVICES -d ${ip(svcIp(i))}/32 -p tcp -m comment --comment "${name} cluster IP" -m tcp --dport ${port} -j ${svc}`)
    nat.push(`-A ${svc} ! -s 10.244.0.0/16 -d ${ip(svcIp(i))}/32 -p tcp -m comment --comment "${name} cluster IP" -m tcp --dport ${port} -j KUBE-MARK-MASQ`)
    if (i % 10 === 0) {
      const ext = `KUBE-EXT-${hash('ext' + i)}`
      chains.push(ext)
      npRules.push(`-A KUBE-NODEPORTS -p tcp -m comment --comment "${name}" -m tcp --dport ${30000 + (i / 10)} -j ${ext}`)
      nat.push(`-A ${ext} -m comment --comment "masquerade traffic for ${name} external destinations" -j KUBE-MARK-MASQ`)
      nat.push(`-A ${ext} -j ${svc}`)
    }
    for (let j = 0; j < EPS; j++) {
      const sep = `KUBE-SEP-${hash('sep' + i + '/' + j)}`
      chains.push(sep)
      const e = ip(epIp(i, j))
      const left = EPS - j
      nat.push(`-A ${svc} -m comment --comment "${name} -> ${e}:8080"${left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : ''} -j ${sep}`)
      nat.push(`-A ${sep} -s ${e}/32 -m comment --comment "${name}" -j KUBE-MARK-MASQ`)
      nat.push(`-A ${sep} -p tcp -m comment --comment "${name}" -m tcp -j DNAT --to-destination ${e}:8080`)
    }
  }
  const head = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-SERVICES - [0:0]', ':KUBE-NODEPORTS - [0:0]', ':KUBE-POSTROUTING - [0:0]', ':KUBE-MARK-MASQ - [0:0]', ...chains.map(c => `:${c} - [0:0]`)]
  const filter = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':KUBE-FORWARD - [0:0]',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    'COMMIT']
  return [...head, ...nat, ...svcRules,
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    // (the trailing newline joined in, not appended: `join(...) + '\n'` makes a rope, and the parse's
    // first read would then copy the whole 23 MB text, ~130 ms of fresh pages, which no real input costs:
    // a request body or a generated node text arrives as one flat string)
    ...npRules, 'COMMIT', ...filter, ''].join('\n')
}

