/**
 * fast-check generators of iptables-save text for fuzzing parseRuleset: random tokens drawn from the
 * iptables vocabulary, and mutations (line drops, duplications, swaps, byte flips, truncation, token
 * insertion) of real rulesets. Shared by test/fuzz/parser.test.ts and scripts/fuzz-parser.ts.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { NetfilterError, parseRuleset } from '../../src/netfilter/index.ts'

const ROOT = join(import.meta.dirname, '..', '..')

export const SEEDS: string[] = [
  readFileSync(join(ROOT, 'test/kernel/fixtures/tricky.rules'), 'utf8'),
  '*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-X - [0:0]\n:KUBE-SEP-A - [0:0]\n-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 53 -j KUBE-SVC-X\n-A KUBE-SVC-X -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A\n-A KUBE-SEP-A -s 10.244.1.5/32 -j MARK --set-xmark 0x4000/0x4000\n-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.1.5:53\nCOMMIT\n',
  '*filter\n:INPUT ACCEPT [10:600]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT\n-A INPUT -m addrtype --dst-type LOCAL -m mark ! --mark 0x1/0x1 -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n'
]

const VOCAB = ['*filter', '*nat', '*mangle', '*raw', 'COMMIT', ':INPUT', ':KUBE-X', 'ACCEPT', 'DROP', '-', '[0:0]', '[1:2]', '-A', '-I', '-D', '-N', '-P', '-F', '-j', '-g', '-p', 'tcp', 'udp', 'icmp', 'all', '-s', '-d', '10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '-i', '-o', 'eth0', 'lo+', '!', '-m', 'comment', '--comment', '"a b"', '"', '\\"', 'statistic', '--mode', 'random', 'nth', '--probability', '0.5', '--every', '3', '--packet', '0', 'mark', '--mark', '0x1/0x1', 'MARK', '--set-xmark', 'DNAT', '--to-destination', '1.2.3.4:80', 'SNAT', 'MASQUERADE', '--random-fully', 'REJECT', '--reject-with', 'multiport', '--dports', '1:65535', '--dport', '--sport', '80', '65536', 'conntrack', '--ctstate', 'NEW', 'addrtype', '--dst-type', 'LOCAL', 'recent', '--set', '--name', 'KUBE-SEP-A', '--rcheck', '--seconds', '10800', '--reap', 'RETURN', 'KUBE-SVC-X', 'LOG', '--log-prefix', 'TRACE', '-c', '#', '\t', ' ', '\r', '\u0000', '\u00e9', 'x'.repeat(40)]

/** A line of random vocabulary tokens. */
const randomLine = fc.array(fc.constantFrom(...VOCAB), { minLength: 0, maxLength: 14 }).map(t => t.join(' '))

/** Random text built from the vocabulary, sometimes with table headers around it. */
export const randomRuleset: fc.Arbitrary<string> = fc.tuple(
  fc.array(randomLine, { maxLength: 30 }),
  fc.boolean(),
  fc.constantFrom('*filter', '*nat', '*mangle', '*raw', '*bogus')
).map(([lines, wrap, table]) => (wrap ? [table, ...lines, 'COMMIT'] : lines).join('\n') + '\n')

type Mutation = (lines: string[]) => string[]

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map(i => (l: string[]) => l.filter((_, j) => j !== i % Math.max(1, l.length))),
  fc.nat().map(i => (l: string[]) => { const k = i % Math.max(1, l.length); return [...l.slice(0, k), l[k] ?? '', ...l.slice(k)] }),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => (l: string[]) => { const c = [...l]; const x = a % Math.max(1, c.length); const y = b % Math.max(1, c.length); [c[x], c[y]] = [c[y], c[x]]; return c }),
  fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0x7f })).map(([i, p, ch]) => (l: string[]) => {
    const c = [...l]; const k = i % Math.max(1, c.length); const s = c[k] ?? ''
    const at = p % (s.length + 1)
    c[k] = s.slice(0, at) + String.fromCharCode(ch) + s.slice(at + 1)
    return c
  }),
  fc.tuple(fc.nat(), fc.constantFrom(...VOCAB)).map(([i, tok]) => (l: string[]) => {
    const c = [...l]; const k = i % Math.max(1, c.length); const parts = (c[k] ?? '').split(' ')
    parts.splice(i % (parts.length + 1), 0, tok)
    c[k] = parts.join(' ')
    return c
  }),
  fc.nat().map(i => (l: string[]) => { const t = l.join('\n'); return t.slice(0, i % (t.length + 1)).split('\n') })
)

/** A real ruleset with 1 to 8 mutations applied. */
export const mutatedRuleset: fc.Arbitrary<string> = fc.tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 8 }))
  .map(([seed, ms]) => ms.reduce((lines, m) => m(lines), seed.split('\n')).join('\n'))

export const anyRuleset: fc.Arbitrary<string> = fc.oneof(randomRuleset, mutatedRuleset, fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 }))

/**
 * Parses one fuzz input and classifies it: `null` when it parsed, the NetfilterError code when it was
 * refused. Anything else thrown (a crash) or a parse slower than `boundMs` throws, failing the property.
 */
export function parseWithin (text: string, boundMs: number): { ms: number, code: string | null } {
  const t0 = performance.now()
  let code: string | null = null
  try {
    parseRuleset(text)
  } catch (e) {
    if (!(e instanceof NetfilterError)) throw new Error(`not a NetfilterError: ${String((e as Error)?.stack ?? e)}`)
    code = e.code ?? '?'
  }
  const ms = performance.now() - t0
  if (ms > boundMs) throw new Error(`input took ${ms.toFixed(0)} ms (bound ${boundMs} ms)`)
  return { ms, code }
}
