/**
 * The pure domain functions the use cases call (written in src/cluster by the domain side), gathered
 * in one place so the actions import them from one module.
 */
export { invalid, alreadyExists, alreadyExistsGenerated, notFound, conflict, badRequest, internalError, statusError, StatusError, fieldInvalid, fieldErrorMessage } from '../errors.ts'
export type { FieldError, KubeStatus } from '../errors.ts'
export { defaultService, defaultPod, defaultNode, defaultClusterSettings } from '../defaults.ts'
export type { DeepPartial } from '../defaults.ts'
export { validateService, validateServiceUpdate, validatePod, validatePodUpdate, validateNode, validateNodeUpdate, validateClusterSettings } from '../validation/index.ts'
export { planAllocation, nodePortRangeText } from '../allocation.ts'
export type { AllocationPlan } from '../allocation.ts'
export { nextPodCIDR, nextPodIP } from '../ipam.ts'
export { deriveEndpointSlices } from '../endpoints.ts'
export { parseManifests } from '../manifests.ts'
export type { ManifestObject } from '../manifests.ts'
export { decodeService, decodePod, decodeNode } from '../decode.ts'
export { generateName } from '../names.ts'
