/**
 * Fuzzing GraphQL queries and variables (fast-check, seeded and bounded): queries are generated from
 * the schema itself (src/api/graphql/schema.ts), with random arguments, wrong types, missing and
 * unknown arguments and fields, variables of the right or the wrong type, aliases, fragments,
 * nesting up to past the depth limit, and sometimes a query cut short. Every answer must be HTTP 200
 * or 400 with the GraphQL shape ({data, errors[]} with a message on each error), never a 5xx or an
 * internal error; queries write nothing to the database.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  buildSchema, getNamedType, getNullableType, isEnumType, isInputObjectType, isInterfaceType, isListType, isNonNullType,
  isObjectType, isScalarType, isUnionType, type GraphQLArgument, type GraphQLInputType, type GraphQLNamedType, type GraphQLOutputType
} from 'graphql'
import { SDL } from '../../src/api/graphql/schema.ts'
import { build } from '../helper.ts'
import { dumpDatabase } from './db-dump.ts'

const RUNS = Number(process.env.FUZZ_GRAPHQL_RUNS ?? 250)
const SEED = Number(process.env.FUZZ_SEED ?? 20261126)
const schema = buildSchema(SDL)


type Gen = fc.GeneratorValue

/** Strings worth trying for an argument of this name (the demo cluster's real names among others). */
const STRINGS: Record<string, string[]> = {
  cluster: ['demo', 'demo', 'demo', 'demo', 'nope', ''],
  name: ['demo', 'k8s-nginx-node', 'vortex-dev', 'nginx-0', 'x'],
  namespace: ['default', 'kube-system', ''],
  node: ['vortex-dev', 'nope'],
  service: ['default/k8s-nginx-node', 'k8s-nginx-node', 'x/y/z'],
  table: ['nat', 'filter', 'raw', 'x'],
  chain: ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'PREROUTING', 'nope'],
  address: ['192.168.33.10', '10.98.128.179', '10.244.0.113', '192.168.33.1', '127.0.0.1', '999.0.0.1', 'x'],
  pod: ['default/nginx-0', 'nginx-1', 'x/y'],
  ruleset: ['*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', '*nat\n-A NOPE -j ACCEPT\nCOMMIT\n', '', 'garbage']
}

const WRONG = ['1', '-1', '2147483648', '1.5', 'true', 'null', '"x"', 'TCP', '[1, "a"]', '{ a: 1 }', '$undeclared', '""']

/** A random literal for `type` (mostly valid, sometimes of the wrong type). */
function literal (g: Gen, type: GraphQLInputType, argName: string, depth: number): string {
  if (g(fc.integer, { min: 0, max: 19 }) === 0) return g(fc.constantFrom, ...WRONG)
  if (isNonNullType(type)) return literal(g, type.ofType, argName, depth)
  if (isListType(type)) {
    const n = g(fc.integer, { min: 0, max: 3 })
    return `[${Array.from({ length: n }, () => literal(g, type.ofType, argName, depth + 1)).join(', ')}]`
  }
  if (isEnumType(type)) return g(fc.constantFrom, ...type.getValues().map(v => v.name), 'bogus')
  if (isInputObjectType(type)) {
    if (depth > 3) return '{}'
    const fields = Object.values(type.getFields())
    const parts: string[] = []
    for (const f of fields) {
      const required = isNonNullType(f.type)
      if (g(fc.integer, { min: 0, max: 9 }) < (required ? 9 : 5)) parts.push(`${f.name}: ${literal(g, f.type, f.name, depth + 1)}`)
    }
    if (g(fc.integer, { min: 0, max: 15 }) === 0) parts.push('unknownField: 1')
    return `{ ${parts.join(', ')} }`
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int': return String(g(fc.boolean) ? g(fc.integer, { min: -2, max: 70000 }) : g(fc.constantFrom, 0, 30136, 80))
      case 'Float': return String(g(fc.double, { noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }))
      case 'Boolean': return String(g(fc.boolean))
      case 'JSON': return jsonLiteral(g(fc.jsonValue, { maxDepth: 3 }))
      case 'IntOrString': return g(fc.boolean) ? '8080' : '"http"'
      default: {
        const known = STRINGS[argName]
        const s = known !== undefined && g(fc.integer, { min: 0, max: 4 }) > 0 ? g(fc.constantFrom, ...known) : g(fc.string, { maxLength: 12 })
        return JSON.stringify(s)
      }
    }
  }
  return 'null'
}

/** A JSON value as a GraphQL literal (object keys unquoted). */
function jsonLiteral (v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null'
  if (Array.isArray(v)) return `[${v.map(jsonLiteral).join(', ')}]`
  return `{ ${Object.entries(v).filter(([k]) => /^[_A-Za-z][_0-9A-Za-z]*$/.test(k)).map(([k, x]) => `${k}: ${jsonLiteral(x)}`).join(', ')} }`
}

/** A random JSON value for a variable of `type` (mostly what it expects, sometimes not). */
function variableValue (g: Gen, type: GraphQLInputType, argName: string): unknown {
  if (g(fc.integer, { min: 0, max: 11 }) === 0) return g(fc.jsonValue, { maxDepth: 2 })
  const t = getNullableType(type)
  if (isListType(t)) return Array.from({ length: g(fc.integer, { min: 0, max: 2 }) }, () => variableValue(g, t.ofType, argName))
  if (isEnumType(t)) return g(fc.constantFrom, ...t.getValues().map(v => v.name), 'bogus')
  if (isInputObjectType(t)) {
    const out: Record<string, unknown> = {}
    for (const f of Object.values(t.getFields())) if (isNonNullType(f.type) || g(fc.boolean)) out[f.name] = variableValue(g, f.type, f.name)
    return out
  }
  switch ((t as GraphQLNamedType).name) {
    case 'Int': return g(fc.integer, { min: -2, max: 70000 })
    case 'Float': return g(fc.double, { noNaN: true, min: -1e6, max: 1e6 })
    case 'Boolean': return g(fc.boolean)
    case 'JSON': return g(fc.jsonValue, { maxDepth: 3 })
    default: {
      const known = STRINGS[argName]
      return known !== undefined && g(fc.boolean) ? g(fc.constantFrom, ...known) : g(fc.string, { maxLength: 12 })
    }
  }
}

interface Query { text: string, variables: Record<string, unknown> }

/** One of `xs` (schema objects are cyclic: fast-check is only handed their index). */
function pickOf<T> (g: Gen, xs: readonly T[]): T {
  return xs[g(fc.integer, { min: 0, max: xs.length - 1 })]
}

function generate (g: Gen): Query {
  const vars: string[] = []
  const variables: Record<string, unknown> = {}
  const fragments: string[] = []

  function args (list: readonly GraphQLArgument[]): string {
    const parts: string[] = []
    for (const a of list) {
      const required = isNonNullType(a.type) && a.defaultValue === undefined
      if (g(fc.integer, { min: 0, max: 19 }) >= (required ? 19 : 8)) continue // usually give required ones
      if (g(fc.integer, { min: 0, max: 3 }) === 0) {
        const name = `v${vars.length}`
        // the declared type: usually the argument's own, sometimes another one
        const declared = g(fc.integer, { min: 0, max: 7 }) === 0 ? g(fc.constantFrom, 'Int', 'String!', '[String]', 'Boolean!', 'JSON') : a.type.toString()
        vars.push(`$${name}: ${declared}`)
        if (g(fc.integer, { min: 0, max: 9 }) > 0) variables[name] = variableValue(g, a.type, a.name)
        parts.push(`${a.name}: $${name}`)
      } else {
        parts.push(`${a.name}: ${literal(g, a.type, a.name, 0)}`)
      }
    }
    if (list.length > 0 && g(fc.integer, { min: 0, max: 59 }) === 0) parts.push('bogusArg: 1')
    return parts.length === 0 ? '' : `(${parts.join(', ')})`
  }

  function selection (type: GraphQLOutputType, depth: number): string {
    const named = getNamedType(type)
    if (!(isObjectType(named) || isInterfaceType(named) || isUnionType(named))) {
      // a scalar: sometimes (wrongly) select inside it
      return g(fc.integer, { min: 0, max: 59 }) === 0 ? ' { x }' : ''
    }
    if (isUnionType(named)) {
      const t = pickOf(g, named.getTypes())
      return ` { __typename ... on ${t.name}${selection(t, depth)} }`
    }
    const fields = Object.values(named.getFields())
    // wide near the root, a single path deeper (deep enough to cross the depth limit sometimes)
    const n = depth < 2 ? g(fc.integer, { min: 1, max: 3 }) : 1
    const parts: string[] = []
    for (let i = 0; i < n; i++) {
      const pick = g(fc.integer, { min: 0, max: 59 })
      if (pick === 0) { parts.push('noSuchField'); continue }
      if (pick === 1) { parts.push('__typename'); continue }
      const f = pickOf(g, fields)
      const fNamed = getNamedType(f.type)
      const leaf = !(isObjectType(fNamed) || isInterfaceType(fNamed) || isUnionType(fNamed))
      // siblings get aliases (the same field twice with other arguments would not validate), mostly
      const alias = i > 0 && g(fc.integer, { min: 0, max: 19 }) > 0 ? `a${i}: ` : ''
      if (!leaf && depth >= 14) { parts.push('__typename'); continue }
      const sub = leaf ? selection(f.type, depth + 1) : selection(f.type, depth + 1)
      if (!leaf && g(fc.integer, { min: 0, max: 9 }) === 0) {
        // the same selection through a named fragment
        const fname = `F${fragments.length}`
        fragments.push(`fragment ${fname} on ${fNamed.name}${sub}`)
        parts.push(`${alias}${f.name}${args(f.args)} { ...${fname} }`)
      } else {
        parts.push(`${alias}${f.name}${args(f.args)}${sub}`)
      }
    }
    return ` { ${parts.join(' ')} }`
  }

  const body = selection(schema.getQueryType()!, 0)
  let text = `query Q${vars.length > 0 ? `(${vars.join(', ')})` : ''}${body}${fragments.map(f => '\n' + f).join('')}`
  // sometimes a broken document
  if (g(fc.integer, { min: 0, max: 24 }) === 0) text = text.slice(0, g(fc.integer, { min: 0, max: text.length }))
  return { text, variables }
}

test(`GraphQL: ${RUNS} generated queries with random arguments and variables: GraphQL errors only, never a 5xx`, async (t) => {
  const { api, app } = await build(t, { seedDemo: true })
  const before = await dumpDatabase(app)
  const seen = { data: 0, errors: 0, status200: 0, status400: 0 }
  async function check (q: Query): Promise<void> {
    const res = await api.post('/graphql').set('content-type', 'application/json').send({ query: q.text, variables: q.variables })
    const what = `${res.status} for ${q.text} ${JSON.stringify(q.variables)}: ${res.text.slice(0, 500)}`
    assert.ok(res.status === 200 || res.status === 400, what)
    if (res.status === 400) seen.status400++; else seen.status200++
    const b = res.body as { data?: unknown, errors?: Array<{ message?: unknown, extensions?: { httpStatus?: number, code?: string } }> }
    assert.ok(b != null && typeof b === 'object' && ('data' in b || 'errors' in b), what)
    // 400: the document never ran (no data, some error); 200: it executed (data, possibly null, always there)
    if (res.status === 400) assert.ok(b.data == null && Array.isArray(b.errors) && b.errors.length > 0, what)
    else assert.ok('data' in b, what)
    if (b.errors !== undefined) {
      seen.errors++
      assert.ok(Array.isArray(b.errors) && b.errors.length > 0, what)
      for (const e of b.errors) {
        assert.equal(typeof e.message, 'string', what)
        assert.ok((e.extensions?.httpStatus ?? 400) < 500, what)
        assert.notEqual(e.extensions?.code, 'INTERNAL_ERROR', what)
        assert.doesNotMatch(e.message as string, /Internal error|Cannot read prop|is not a function|undefined/, what)
      }
    } else {
      seen.data++
      assert.ok(b.data != null && typeof b.data === 'object', what)
    }
  }
  await fc.assert(fc.asyncProperty(fc.gen(), async (g: Gen) => {
    await check(generate(g))
  }), { numRuns: RUNS, seed: SEED, includeErrorInReport: true })
  if (process.env.FUZZ_VERBOSE === '1') console.log('answers', seen)
  assert.equal(await dumpDatabase(app), before, 'queries wrote to the database')
  // the fuzz reached the resolvers (HTTP 200: executed, with or without field errors), not only validation
  assert.ok(seen.status200 >= RUNS / 4, JSON.stringify(seen))
  assert.ok(seen.data >= RUNS / 50, JSON.stringify(seen))
  assert.ok(seen.status400 >= RUNS / 20, JSON.stringify(seen))
})

test('GraphQL: random nesting along the schema\'s cycles, through fields, inline fragments and named fragments: within the depth limit it runs, past it QUERY_TOO_DEEP', async (t) => {
  const { api } = await build(t, { seedDemo: true })
  // node › pods › node › pods …: each step one level; wrapped in random fragment forms
  const step = fc.record({ form: fc.constantFrom('field', 'inline', 'named'), alias: fc.boolean() })
  let ran = 0
  await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 0, maxLength: 14 }), async (steps) => {
    const fragments: string[] = []
    let inner = 'metadata { name }'
    let type = steps.length % 2 === 0 ? 'Node' : 'Pod'
    for (let i = steps.length - 1; i >= 0; i--) {
      const parent = type === 'Node' ? 'Pod' : 'Node'
      const field = parent === 'Node' ? 'pods' : 'node'
      const sel = `${steps[i].alias ? `x${i}: ` : ''}${field} { ${inner} }`
      if (steps[i].form === 'inline') inner = `... on ${parent} { ${sel} }`
      else if (steps[i].form === 'named') { fragments.push(`fragment S${i} on ${parent} { ${sel} }`); inner = `...S${i}` } else inner = sel
      type = parent
    }
    // cluster › nodes › items › <type Node> …: 3 levels, then the steps, then metadata › name (2)
    const query = `{ cluster(name: "demo") { nodes { items { ${inner} } } } }\n${fragments.join('\n')}`
    const depth = 3 + steps.length + 2
    const res = await api.post('/graphql').set('content-type', 'application/json').send({ query })
    if (depth <= 12) {
      // lists multiply the cost: a deep enough chain of pods lists is refused on cost instead
      if (res.status === 400) {
        assert.equal(res.body.errors[0].extensions.code, 'QUERY_TOO_COSTLY', res.text)
      } else {
        assert.equal(res.status, 200, res.text)
        assert.equal(res.body.errors, undefined, res.text)
        ran++
      }
    } else {
      assert.equal(res.status, 400, res.text)
      assert.equal(res.body.data, null)
      assert.equal(res.body.errors[0].extensions.code, 'QUERY_TOO_DEEP', res.text)
      assert.equal(res.body.errors[0].extensions.depth, depth)
    }
  }), { numRuns: 60, seed: SEED, includeErrorInReport: true })
  assert.ok(ran >= 5, `${ran} nested queries ran`)
})
