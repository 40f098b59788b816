import { defaultClusterSettings, defaultService } from '../../src/cluster/defaults.ts'
import type { ClusterSettings, Service, ServiceSpec } from '../../src/cluster/model.ts'

export const settings: ClusterSettings = defaultClusterSettings({ name: 'test' })

/** A defaulted service named `name` in `default` with the given spec parts. */
export function svc (spec: Partial<ServiceSpec>, name = 'web', extra: Partial<Service['metadata']> = {}): Service {
  return defaultService({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', ...extra },
    spec: { ports: [{ port: 80 }], selector: { app: name }, ...spec } as ServiceSpec,
    status: { loadBalancer: {} }
  } as Service)
}

/** Deterministic random sequence in [0,1). */
export function seq (...values: number[]): () => number {
  let i = 0
  return () => values[Math.min(i++, values.length - 1)]
}
