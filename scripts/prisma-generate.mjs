// postinstall: generates the Prisma client offline. `prisma generate` never runs the native schema
// engine, it only checks that the binary exists, so point it at a file that does
// (the CLI would otherwise try to download one from binaries.prisma.sh).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const env = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' }
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = existsSync('/bin/true') ? '/bin/true' : process.execPath
const cli = require.resolve('prisma/build/index.js')
const r = spawnSync(process.execPath, [cli, 'generate', '--schema', 'prisma/schema.prisma'], { stdio: 'inherit', env })
process.exit(r.status ?? 1)
