import { test } from 'node:test'
import { build } from '/work/main/test/helper.ts'
test('x', async (t) => {
  const { api } = await build(t, { adminToken: 'x' })
  const r = await api.post('/graphql').set('content-type', 'application/json').send({ query: '{ clusters { items { metadata { name } } } }' })
  console.log(r.status, JSON.stringify(r.body))
})
