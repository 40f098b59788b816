/**
 * The demo cluster: the seed note's cluster rebuilt (a vagrant node `vortex-dev`, a 3-replica nginx
 * Deployment's pods at 10.244.0.113-115, NodePort Service default/k8s-nginx-node 10.98.128.179
 * 80:30136/TCP, kube-proxy of that era). Created through the same use cases as user objects.
 */
import type { Store } from '../../store/index.ts'
import type { ManifestObject } from './domain.ts'
import { createClusterTx } from './clusters.ts'
import { applyManifestObjectsTx } from './manifests.ts'

export const DEMO_CLUSTER = 'demo'

const POD_TEMPLATE_HASH = '6d4cf56db6'
const PODS: Array<[string, string]> = [
  [`k8s-nginx-${POD_TEMPLATE_HASH}-4xkqz`, '10.244.0.113'],
  [`k8s-nginx-${POD_TEMPLATE_HASH}-8mj2p`, '10.244.0.114'],
  [`k8s-nginx-${POD_TEMPLATE_HASH}-vs7hw`, '10.244.0.115']
]

export function demoObjects (): Array<Record<string, unknown>> {
  return [
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'vortex-dev' },
      spec: { podCIDR: '10.244.0.0/24' },
      status: { addresses: [{ type: 'InternalIP', address: '192.168.33.10' }, { type: 'Hostname', address: 'vortex-dev' }] }
    },
    ...PODS.map(([name, ip]) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: 'nginx', 'pod-template-hash': POD_TEMPLATE_HASH } },
      spec: { nodeName: 'vortex-dev', containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
      status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] }
    })),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'k8s-nginx-node', namespace: 'default' },
      spec: { type: 'NodePort', clusterIP: '10.98.128.179', selector: { app: 'nginx' }, ports: [{ protocol: 'TCP', port: 80, targetPort: 80, nodePort: 30136 }] }
    }
  ]
}

/** Creates `demo` when the database holds no cluster at all; returns whether it did. */
export async function seedDemo (store: Store): Promise<boolean> {
  return await store.write(async ctx => {
    if ((await ctx.repo.listClusters()).length > 0) return false
    const cluster = await createClusterTx(ctx, {
      metadata: { name: DEMO_CLUSTER },
      spec: {
        serviceCIDR: '10.96.0.0/12',
        clusterCIDR: '10.244.0.0/16',
        nodePortRange: '30000-32767',
        // the seed's rules (11-digit probabilities, no KUBE-EXT chains) are the legacy kube-proxy's
        kubeProxy: { profile: 'legacy', masqueradeAll: false, nodePortAddresses: [], localhostNodePorts: true, masqueradeBit: 14 }
      }
    })
    const docs: ManifestObject[] = demoObjects().map((obj, doc) => ({ doc, obj }))
    await applyManifestObjectsTx(ctx, cluster, docs)
    return true
  })
}
