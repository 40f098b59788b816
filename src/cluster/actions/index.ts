/** Use cases over the store (what routes, GraphQL and scripts call). */
export * from './clusters.ts'
export * from './nodes.ts'
export * from './pods.ts'
export * from './services.ts'
export * from './reads.ts'
export * from './manifests.ts'
export * from './demo.ts'
export { env as actionEnv } from './common.ts'
