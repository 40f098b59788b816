/** The OpenAPI document as YAML, generated from the route schemas of a throw-away app instance. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from './app.ts'

export async function generateOpenApi (): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kubenetsim-openapi-'))
  const app = await buildApp({ databaseUrl: 'file:' + join(dir, 'openapi.db'), docs: false })
  try {
    await app.ready()
    return app.swagger({ yaml: true })
  } finally {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
