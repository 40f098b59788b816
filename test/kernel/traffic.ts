/**
 * Real TCP/UDP traffic between lab namespaces, through `agent.mjs` run with `ip netns exec`.
 */
import type { Lab, Background } from './netns.ts'
import { AGENT } from './topology.ts'

export interface Request {
  proto: 'tcp' | 'udp'
  host: string
  port: number
  timeoutMs?: number
  token?: string
}

export interface ServerView {
  /** which server (pod or node name) answered */
  name: string
  /** source address the server saw */
  from: string
  fromPort: number
  localPort: number
}

export interface Result {
  outcome: 'ok' | 'refused' | 'timeout' | 'unreachable' | 'error'
  reply?: ServerView
  /** address:port the reply came from, as the client socket saw it */
  peer?: string
  local?: string
  code?: string
}

const clients = new WeakMap<Lab, Map<string, { bg: Background, seen: number }>>()

/**
 * Sends the requests one after another from `ns` (each on a new socket, so a new conntrack entry),
 * through a long-lived agent process in that namespace (started on first use, stopped with the lab).
 */
export async function send (lab: Lab, ns: string, reqs: Request[], opts: { parallel?: boolean } = {}): Promise<Result[]> {
  if (reqs.length === 0) return []
  let perLab = clients.get(lab)
  if (perLab === undefined) { perLab = new Map(); clients.set(lab, perLab) }
  let c = perLab.get(ns)
  if (c === undefined) {
    const bg = lab.spawn(ns, [process.execPath, AGENT, 'repl'])
    await bg.waitFor(o => o.includes('READY\n'), 30_000)
    c = { bg, seen: bg.out().indexOf('READY\n') + 6 }
    perLab.set(ns, c)
  }
  const budget = reqs.reduce((s, r) => s + (r.timeoutMs ?? 1000), 0) + 10_000
  const client = c
  client.bg.proc.stdin!.write(JSON.stringify(opts.parallel === true ? { parallel: true, reqs } : reqs) + '\n')
  await client.bg.waitFor(o => o.indexOf('\n', client.seen) >= 0, budget)
  const out = client.bg.out()
  const nl = out.indexOf('\n', client.seen)
  const line = out.slice(client.seen, nl)
  client.seen = nl + 1
  return JSON.parse(line) as Result[]
}

/** A short human summary of a kernel result: `ok pod-a from 10.244.1.1`, `refused`, `timeout`. */
export function describe (r: Result): string {
  if (r.outcome !== 'ok' || r.reply === undefined) return r.outcome + (r.code !== undefined ? ` (${r.code})` : '')
  return `ok ${r.reply.name}:${r.reply.localPort} saw-src ${r.reply.from} reply-from ${r.peer ?? '?'}`
}
