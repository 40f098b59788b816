// Helpers for replaying the kernel TRACE captures in shared/conformance/kernel-traces.
import { readFileSync, existsSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const candidates = [
  process.env.KERNEL_TRACES_DIR,
  join(here, '../../../shared/conformance/kernel-traces'),
].filter((x): x is string => x !== undefined)

export const TRACE_DIR = candidates.find(d => existsSync(join(d, 'rules.txt'))) ?? candidates[candidates.length - 1]

export function readCapture (name: string): string {
  return readFileSync(join(TRACE_DIR, name), 'utf8')
}

const FLAG_WORDS = new Set(['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN'])

export interface LogLine {
  tag: string
  fields: Record<string, string>
  flags: string[]
  raw: string
}

/** Parse a legacy `TRACE: t:c:k:n IN=.. ...` line. */
export function parseLegacyLine (line: string): LogLine {
  const m = /^TRACE: (\S+) (.*)$/.exec(line)
  if (m === null) throw new Error(`not a TRACE line: ${line}`)
  const fields: Record<string, string> = {}
  const flags: string[] = []
  // strip OPT (...) groups
  const rest = m[2].replace(/OPT \([0-9A-F]*\) /g, '')
  let seenProto = false
  for (const tok of rest.split(' ')) {
    if (tok === '') continue
    const eq = tok.indexOf('=')
    if (eq > 0) {
      const k = tok.slice(0, eq)
      if (k === 'PROTO') seenProto = true
      if (k === 'LEN' && seenProto) fields.ULEN = tok.slice(eq + 1)
      else if (!(k in fields)) fields[k] = tok.slice(eq + 1)
    } else if (FLAG_WORDS.has(tok)) flags.push(tok)
  }
  return { tag: m[1], fields, flags, raw: line }
}

/** The fields compared between the kernel and the engine (ids, MACs, SEQ/ACK, UIDs aside). */
export function normLegacy (l: LogLine, portMap: Map<string, string>): string {
  const f = l.fields
  const port = (p: string | undefined): string => p === undefined ? '' : (portMap.get(p) ?? p)
  return `${l.tag} IN=${f.IN ?? ''} OUT=${f.OUT ?? ''} SRC=${f.SRC} DST=${f.DST} LEN=${f.LEN} TTL=${f.TTL} ID=${f.ID} PROTO=${f.PROTO} SPT=${port(f.SPT)} DPT=${port(f.DPT)} ${l.flags.join(',')} MARK=${f.MARK ?? '0'}`
}

/** Group capture lines by packet (IP ID + total length), keeping first-appearance order. */
export function groupByPacket<T extends { fields: Record<string, string> }> (lines: T[], key: (l: T) => string = l => `${l.fields.ID}/${l.fields.LEN}`): T[][] {
  const groups = new Map<string, T[]>()
  for (const l of lines) {
    const k = key(l)
    let g = groups.get(k)
    if (g === undefined) { g = []; groups.set(k, g) }
    g.push(l)
  }
  return [...groups.values()]
}

export interface MonitorLine { kind: 'PACKET' | 'TRACE', fields: Record<string, string>, flags: string[], event: string, raw: string }

/** Parse an `xtables-monitor --trace` line. */
export function parseMonitorLine (line: string): MonitorLine {
  if (line.startsWith('PACKET: ')) {
    const fields: Record<string, string> = {}
    const flags: string[] = []
    for (const tok of line.split(' ').slice(3)) {
      if (tok === '') continue
      const eq = tok.indexOf('=')
      if (eq > 0) fields[tok.slice(0, eq)] = tok.slice(eq + 1)
      else if (FLAG_WORDS.has(tok)) flags.push(tok)
    }
    return { kind: 'PACKET', fields, flags, event: '', raw: line }
  }
  const m = /^ TRACE: 2 [0-9a-f]+ (.*)$/.exec(line)
  if (m === null) throw new Error(`not a monitor line: ${line}`)
  return { kind: 'TRACE', fields: {}, flags: [], event: m[1].replace(/ +$/, ''), raw: line }
}

export function normMonitor (l: MonitorLine, portMap: Map<string, string>): string {
  if (l.kind === 'TRACE') return l.event
  const f = l.fields
  const port = (p: string | undefined): string => p === undefined ? '' : (portMap.get(p) ?? p)
  return `PACKET IN=${f.IN ?? ''} OUT=${f.OUT ?? ''} SRC=${f.SRC} DST=${f.DST} LEN=${f.LEN} TTL=${f.TTL} ID=${f.ID} SPORT=${port(f.SPORT)} DPORT=${port(f.DPORT)} ${l.flags.join(',')} MARK=${f.MARK ?? '0'}`
}

export const FLAG_BITS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 }
export function flagsToNum (flags: string[]): number {
  return flags.reduce((a, f) => a | (FLAG_BITS[f] ?? 0), 0)
}
