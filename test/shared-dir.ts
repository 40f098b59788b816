// Where the read-only reference data lies: `shared/` beside the repository (locally and in CI, where a
// copy of shared/ is laid beside the fresh clone). KUBENETSIM_SHARED overrides it.
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export const SHARED_DIR = process.env.KUBENETSIM_SHARED ?? resolve(repo, '../shared')

/** Absolute path of a file under shared/. */
export function sharedPath (...parts: string[]): string {
  return resolve(SHARED_DIR, ...parts)
}
