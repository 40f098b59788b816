import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planAllocation } from '../../src/cluster/allocation.ts'
import { defaultService } from '../../src/cluster/defaults.ts'
import { fieldErrorMessage, invalid } from '../../src/cluster/errors.ts'
import type { Service } from '../../src/cluster/model.ts'
import { validateService, validateServiceUpdate } from '../../src/cluster/validation/service.ts'
import { settings, svc, seq } from './helpers.ts'

/** Allocates (like the server does first), then validates; returns the messages. */
function messages (s: Service): string[] {
  const p = planAllocation({ svc: s, settings, usedNodePorts: new Set(), usedClusterIPs: new Set(), random: seq(0) })
  return validateService(p.svc, settings).map(fieldErrorMessage)
}

const DNS1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
const DNS1123 = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

test('a plain valid service has no errors', () => {
  assert.deepEqual(messages(svc({ type: 'NodePort' })), [])
  assert.deepEqual(messages(svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', loadBalancerSourceRanges: ['10.0.0.0/8'] })), [])
  assert.deepEqual(messages(svc({ type: 'ExternalName', externalName: 'example.com.', ports: [] })), [])
  assert.deepEqual(messages(svc({ clusterIP: 'None', ports: [] })), [])
  assert.deepEqual(messages(svc({ sessionAffinity: 'ClientIP', externalIPs: ['192.0.2.10'] })), [])
})

test('each ValidateService rule with its exact message', () => {
  const cases: Array<[string, Service, string[]]> = [
    ['name DNS-1035', svc({}, '1web'), [`metadata.name: Invalid value: "1web": ${DNS1035}`]],
    ['name too long', svc({ selector: { app: 'x' } }, 'a'.repeat(64)), [`metadata.name: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`]],
    ['name missing', svc({}, ''), ['metadata.name: Required value: name or generateName is required']],
    ['ports required', svc({ ports: [] }), ['spec.ports: Required value']],
    ['port range', svc({ ports: [{ port: 0 }] as never }), ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive', 'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive']],
    ['name required with 2 ports', svc({ ports: [{ name: 'a', port: 80 }, { port: 81 }] as never }), ['spec.ports[1].name: Required value']],
    ['port name syntax', svc({ ports: [{ name: 'HTTP', port: 80 }] as never }), [`spec.ports[0].name: Invalid value: "HTTP": ${DNS1123}`]],
    ['duplicate port name and port', svc({ ports: [{ name: 'a', port: 443 }, { name: 'b', port: 80 }, { name: 'a', port: 443 }] as never }),
      ['spec.ports[2].name: Duplicate value: "a"', 'spec.ports[2]: Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":443,"TargetPort":0,"NodePort":0}']],
    ['protocol', svc({ ports: [{ port: 80, protocol: 'HTTP' }] as never }), ['spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"']],
    ['named targetPort', svc({ ports: [{ port: 80, targetPort: 'my--port-name-too-long' }] as never }), [
      'spec.ports[0].targetPort: Invalid value: "my--port-name-too-long": must be no more than 15 characters',
      'spec.ports[0].targetPort: Invalid value: "my--port-name-too-long": must not contain consecutive hyphens']],
    ['targetPort needs a letter', svc({ ports: [{ port: 80, targetPort: '8080-' }] as never }), [
      'spec.ports[0].targetPort: Invalid value: "8080-": must contain at least one letter (a-z)',
      'spec.ports[0].targetPort: Invalid value: "8080-": must not begin or end with a hyphen']],
    ['nodePort on ClusterIP', svc({ ports: [{ port: 80, nodePort: 30080 }] as never }), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
    ['kubelet port on LB', svc({ type: 'LoadBalancer', ports: [{ port: 10250 }] as never }), ['spec.ports[0]: Invalid value: 10250: may not expose port 10250 externally since it is used by kubelet']],
    ['None on NodePort', svc({ type: 'NodePort', clusterIP: 'None' }), ['spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort services']],
    ['ExternalName needs a name', svc({ type: 'ExternalName', ports: [] }), ['spec.externalName: Required value']],
    ['ExternalName with clusterIP', svc({ type: 'ExternalName', externalName: 'example.com', clusterIP: '10.96.0.10' }), ['spec.clusterIPs: Forbidden: may not be set for ExternalName services']],
    ['selector syntax', svc({ selector: { 'app/x/y': 'v', ok: 'bad value' } }), [
      "spec.selector: Invalid value: \"app/x/y\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      "spec.selector: Invalid value: \"bad value\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]],
    ['sessionAffinity', svc({ sessionAffinity: 'Sticky' as never }), ['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"']],
    ['affinity timeout', svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } } }), ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400']],
    ['type', svc({ type: 'Foo' as never }), ['spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']],
    ['externalIPs', svc({ externalIPs: ['127.0.0.1', '0.0.0.0', '169.254.1.1', '224.0.0.5', '1.2.3'] }), [
      'spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      'spec.externalIPs[1]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
      'spec.externalIPs[2]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
      'spec.externalIPs[3]: Invalid value: "224.0.0.5": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
      'spec.externalIPs[4]: Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
    ['ETP on ClusterIP', svc({ externalTrafficPolicy: 'Local' }), ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']],
    ['ETP bad value', svc({ type: 'NodePort', externalTrafficPolicy: 'Global' as never }), ['spec.externalTrafficPolicy: Unsupported value: "Global": supported values: "Cluster", "Local"']],
    ['ITP bad value', svc({ internalTrafficPolicy: 'Node' as never }), ['spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", "Local"']],
    ['hcNodePort without Local LB', svc({ type: 'NodePort', healthCheckNodePort: 30081 }), ["spec.healthCheckNodePort: Invalid value: 30081: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"]],
    ['LB-only fields', svc({ allocateLoadBalancerNodePorts: true, loadBalancerSourceRanges: ['10.0.0.0/8'], loadBalancerClass: 'example.com/lb' }), [
      "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'",
      "spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'",
      "spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"]],
    ['source range CIDR', svc({ type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/33'] }), ['spec.LoadBalancerSourceRanges[0]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']],
    ['clusterIPs out of sync', svc({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.11'] }), ['Service "web" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.11"]: first value must match `clusterIP`']]
  ]
  for (const [name, s, want] of cases) {
    let got: string[]
    try { got = messages(s) } catch (e) { got = [(e as Error).message] }
    assert.deepEqual(got, want, name)
  }
})

test('duplicate nodePorts: same protocol rejected, TCP+UDP allowed', () => {
  const s = svc({ type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 30080 }, { name: 'b', port: 81, protocol: 'UDP', nodePort: 30080 }] as never })
  assert.deepEqual(validateService(s, settings), [])
  const d = svc({ type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 30080 }, { name: 'b', port: 81, nodePort: 30080 }] as never })
  assert.deepEqual(validateService(d, settings).map(fieldErrorMessage), ['spec.ports[1].nodePort: Duplicate value: 30080'])
})

test('the full 422 text for several causes', () => {
  const s = svc({ ports: [{ name: 'a', port: 80 }, { port: 0 }] as never }, 'two-ports')
  const e = invalid('Service', 'two-ports', validateService(s, settings))
  assert.equal(e.message, 'Service "two-ports" is invalid: [spec.ports[1].name: Required value, spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]')
})

test('update-only rules', () => {
  const old = planAllocation({ svc: svc({ type: 'LoadBalancer', loadBalancerClass: 'a.io/x' }), settings, usedNodePorts: new Set(), usedClusterIPs: new Set(), random: seq(0) }).svc
  const renamed = structuredClone(old)
  renamed.metadata.name = 'other'
  assert.deepEqual(validateServiceUpdate(old, renamed, settings).map(fieldErrorMessage), ['metadata.name: Invalid value: "other": field is immutable'])
  const cls = structuredClone(old)
  cls.spec.loadBalancerClass = 'b.io/y'
  assert.deepEqual(validateServiceUpdate(old, cls, settings).map(fieldErrorMessage), ['spec.loadBalancerClass: Invalid value: "b.io/y": may not change once set'])
  const unset = structuredClone(old)
  delete unset.spec.clusterIP
  unset.spec.clusterIPs = []
  assert.deepEqual(validateServiceUpdate(old, unset, settings).map(fieldErrorMessage), ['spec.clusterIPs[0]: Invalid value: []: primary clusterIP can not be unset'])
  const headless = planAllocation({ svc: svc({ clusterIP: 'None' }), settings, usedNodePorts: new Set(), usedClusterIPs: new Set(), random: seq(0) }).svc
  const toVip = defaultService({ ...structuredClone(headless), spec: { ...structuredClone(headless.spec), clusterIP: '10.96.0.50', clusterIPs: ['10.96.0.50'] } })
  assert.deepEqual(validateServiceUpdate(headless, toVip, settings).map(fieldErrorMessage), ['spec.clusterIPs[0]: Invalid value: ["10.96.0.50"]: may not change once set'])
})

test('generateName is validated as a prefix (trailing dash allowed)', () => {
  const ok = svc({}, 'web-x2b7k', { generateName: 'web-' })
  assert.deepEqual(validateService(ok, settings), [])
  const bad = svc({}, 'web-x2b7k', { generateName: '1web-' })
  assert.deepEqual(validateService(bad, settings).map(e => e.field), ['metadata.generateName'])
})
