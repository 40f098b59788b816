/** Every table of the database as one string, to prove that a request wrote nothing. */
import type { App } from '../../src/api/app.ts'

export async function dumpDatabase (app: App): Promise<string> {
  const p = app.store.prisma
  const order = { orderBy: { id: 'asc' as const } }
  return JSON.stringify([
    await p.cluster.findMany(order), await p.node.findMany(order), await p.pod.findMany(order), await p.service.findMany(order),
    await p.nodePortAllocation.findMany(order), await p.clusterIPAllocation.findMany(order), await p.podIPAllocation.findMany(order)
  ])
}
