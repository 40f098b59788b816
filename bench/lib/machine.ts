/** The machine a benchmark ran on: CPU, cores, memory, Node, kernel, load average. */
import { cpus, loadavg, release, totalmem, freemem, hostname } from 'node:os'

export interface Machine {
  cpu: string
  cores: number
  memGiB: number
  freeGiB: number
  node: string
  kernel: string
  host: string
  load: [number, number, number]
  date: string
}

export function describeMachine (): Machine {
  const c = cpus()
  const l = loadavg()
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    node: process.version,
    kernel: release(),
    host: hostname(),
    load: [Number(l[0].toFixed(2)), Number(l[1].toFixed(2)), Number(l[2].toFixed(2))],
    date: new Date().toISOString()
  }
}

export function loadText (l: number[] = loadavg()): string {
  return l.map(x => x.toFixed(2)).join(' ')
}

export function machineLine (m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB RAM (${m.freeGiB} free), Node ${m.node}, Linux ${m.kernel}, load average ${m.load.join(' ')} at start, ${m.date}`
}
