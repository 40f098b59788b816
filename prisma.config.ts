// Prisma 7 configuration: schema location, migrations folder and the datasource URL.
// The CLI is only used for `prisma generate` here (offline); migrations go through the wasm
// schema engine (src/store/migrate.ts, scripts/prisma-migrate.ts).
import { defineConfig } from 'prisma/config'

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'file:./data/kubenetsim.db' }
})
