/**
 * GraphiQL at /graphiql (the page loads GraphiQL from a CDN in the browser) with the example
 * operations as tabs, and the examples as JSON at /graphiql/examples.json.
 */
import type { FastifyInstance } from 'fastify'
import type { Example } from './examples.ts'

function page (examples: Example[]): string {
  const tabs = JSON.stringify(examples.map(e => ({ query: e.query, variables: e.variables == null ? undefined : JSON.stringify(e.variables, null, 2) })))
    .replace(/</g, '\\u003c')
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>kubenetsim GraphiQL</title>
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
  <link rel="stylesheet" href="https://unpkg.com/graphiql@3.8.3/graphiql.min.css">
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script crossorigin src="https://unpkg.com/react@18.3.1/umd/react.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/graphiql@3.8.3/graphiql.min.js"></script>
  <script>
    const tabs = ${tabs};
    const fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).toString() });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultTabs: tabs, defaultQuery: tabs[0].query })
    );
  </script>
</body>
</html>
`
}

export function registerGraphiQL (app: FastifyInstance, examples: () => Example[]): void {
  app.get('/graphiql', { schema: { hide: true } }, async (_req, reply) => {
    reply.type('text/html; charset=utf-8')
    return page(examples())
  })
  app.get('/graphiql/examples.json', { schema: { hide: true } }, async () => examples())
}
