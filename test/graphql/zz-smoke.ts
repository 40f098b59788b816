import { build } from '../helper.ts'
const hooks: Array<() => Promise<void> | void> = []
const { api } = await build({ after: (f) => { hooks.push(f) } }, { seedDemo: true })
const deep = '{ cluster(name: "demo") { nodes { items { pods { node { pods { node { pods { node { pods { node { metadata { name } } } } } } } } } } } } }'
let r = await api.post('/graphql').send({ query: deep })
console.log(r.status, JSON.stringify(r.body).slice(0, 600))
for (const h of hooks) await h()
