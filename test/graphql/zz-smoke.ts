import { build } from '../helper.ts'
const hooks: Array<() => Promise<void> | void> = []
const { api } = await build({ after: (f) => { hooks.push(f) } }, { seedDemo: true })
let r = await api.post('/graphql').set('content-type', 'application/json').send('{"query": ')
console.log(r.status, r.text.slice(0, 800))
r = await api.get('/graphiql')
console.log(r.status, r.headers['content-type'], r.text.slice(0, 200))
r = await api.post('/graphql').send({ query: '{ service(cluster: "demo", namespace: "default", name: "k8s-nginx-node") { rules { node chains { table chain owned rules { text provenance { service servicePort endpoint field origin } } } } } }' })
console.log(r.status, r.text.slice(0, 1500))
for (const h of hooks) await h()
