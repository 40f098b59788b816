/** Custom scalars: JSON (any value) and IntOrString (Kubernetes intOrString). */
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql'

function literal (node: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.ENUM:
    case Kind.BOOLEAN:
      return node.value
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value)
    case Kind.NULL:
      return null
    case Kind.LIST:
      return node.values.map(v => literal(v, variables))
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map(f => [f.name.value, literal(f.value, variables)]))
    case Kind.VARIABLE:
      return variables?.[node.name.value]
    default:
      return undefined
  }
}

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value',
  serialize: v => v,
  parseValue: v => v,
  parseLiteral: (node, variables) => literal(node, variables)
})

function intOrString (v: unknown): number | string {
  if (typeof v === 'string') return v
  if (typeof v === 'number' && Number.isInteger(v)) return v
  throw new GraphQLError(`IntOrString must be an integer or a string, got ${JSON.stringify(v)}`)
}

export const IntOrStringScalar = new GraphQLScalarType({
  name: 'IntOrString',
  description: 'An integer or a string',
  serialize: intOrString,
  parseValue: intOrString,
  parseLiteral: node => {
    if (node.kind === Kind.INT) return Number(node.value)
    if (node.kind === Kind.STRING) return node.value
    throw new GraphQLError('IntOrString must be an integer or a string literal')
  }
})
