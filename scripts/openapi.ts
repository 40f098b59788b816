// Writes openapi.yaml from the route schemas (@fastify/swagger, dynamic mode). The OpenAPI drift test
// (test/api/openapi.test.ts) fails when the committed file differs: re-run `npm run openapi` after
// changing routes or schemas.
import { writeFileSync } from 'node:fs'
import { generateOpenApi } from '../src/api/openapi.ts'

writeFileSync(new URL('../openapi.yaml', import.meta.url), await generateOpenApi())
console.log('wrote openapi.yaml')
