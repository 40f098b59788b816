/** A small cluster with every kind of Service, built through REST, shared by the GraphQL tests. */
import assert from 'node:assert/strict'
import { base, newCluster, node, pod, svc, type Built } from '../helper.ts'

export async function populate (api: Built['api'], name = 'c'): Promise<void> {
  await newCluster(api, name)
  const b = base(name)
  const ok = async (path: string, body: object): Promise<void> => {
    const r = await api.post(b + path).send(body)
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`)
  }
  await ok('/nodes', node('n1', '192.168.0.11'))
  await ok('/nodes', node('n2', '192.168.0.12'))
  await ok('/namespaces/default/pods', pod('web-1', 'n1', { app: 'web' }, { ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }))
  await ok('/namespaces/default/pods', pod('web-2', 'n2', { app: 'web' }, { ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }))
  await ok('/namespaces/default/pods', pod('web-3', 'n2', { app: 'web' }, { ready: false, ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }))
  await ok('/namespaces/other/pods', pod('db-1', 'n1', { app: 'db' }, { ports: [{ containerPort: 5432, protocol: 'TCP' }] }))
  await ok('/namespaces/default/services', svc('web', { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080, protocol: 'TCP' }, { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' }] }, { labels: { tier: 'front' } }))
  await ok('/namespaces/default/services', svc('lb', { type: 'LoadBalancer', selector: { app: 'web' }, externalTrafficPolicy: 'Local', ports: [{ port: 443, targetPort: 8080, protocol: 'TCP' }], loadBalancerSourceRanges: ['203.0.113.0/24'] }))
  await ok('/namespaces/default/services', svc('headless', { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }))
  await ok('/namespaces/default/services', svc('ext', { type: 'ExternalName', externalName: 'example.com' }))
  await ok('/namespaces/other/services', svc('db', { selector: { app: 'db' }, sessionAffinity: 'ClientIP', ports: [{ port: 5432, targetPort: 5432, protocol: 'TCP' }] }))
}
