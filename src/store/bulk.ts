/**
 * Multi-row statements for bulk writes, sent as raw SQL through the Prisma client (so they run in
 * the open transaction). Prisma's createMany costs about 0.3 ms of CPU per row here (every value is
 * validated, planned and bound by the client); one multi-row INSERT of the same rows costs a tenth.
 * Table and column names are the ones prisma/schema.prisma declares; test/store/staged.test.ts reads
 * rows written here back through the Prisma models, so a schema change that breaks them fails there.
 */
import type { Client } from './repo.ts'

/** Bound parameters per statement (SQLite allows 32,766 since 3.32; stay well below). */
const MAX_PARAMS = 8000

export type Value = string | number | null

const q = (name: string): string => `"${name}"`

function rowsPerStatement (columns: number): number {
  return Math.max(1, Math.floor(MAX_PARAMS / columns))
}

function tuples (rows: number, columns: number): string {
  const one = '(' + Array.from({ length: columns }, () => '?').join(',') + ')'
  return Array.from({ length: rows }, () => one).join(',')
}

/** INSERT INTO table (columns) VALUES (…), (…) in as few statements as the parameter limit allows. */
export async function insertRows (db: Client, table: string, columns: readonly string[], rows: Value[][]): Promise<void> {
  const per = rowsPerStatement(columns.length)
  for (let i = 0; i < rows.length; i += per) {
    const part = rows.slice(i, i + per)
    await db.$executeRawUnsafe(`INSERT INTO ${q(table)} (${columns.map(q).join(',')}) VALUES ${tuples(part.length, columns.length)}`, ...part.flat())
  }
}

/** The same, answering the `returning` columns of every inserted row (in no particular order). */
export async function insertRowsReturning<R> (db: Client, table: string, columns: readonly string[], rows: Value[][], returning: readonly string[]): Promise<R[]> {
  const per = rowsPerStatement(columns.length)
  const out: R[] = []
  for (let i = 0; i < rows.length; i += per) {
    const part = rows.slice(i, i + per)
    const got = await db.$queryRawUnsafe<R[]>(`INSERT INTO ${q(table)} (${columns.map(q).join(',')}) VALUES ${tuples(part.length, columns.length)} RETURNING ${returning.map(q).join(',')}`, ...part.flat())
    out.push(...got)
  }
  return out
}

/**
 * UPDATE table SET column = new value … for many rows at once (UPDATE … FROM VALUES, SQLite ≥ 3.33):
 * each row is `[id, ...values]` in the order of `columns`.
 */
export async function updateRows (db: Client, table: string, columns: readonly string[], rows: Value[][]): Promise<void> {
  const width = columns.length + 1
  const per = rowsPerStatement(width)
  const set = columns.map((c, k) => `${q(c)} = v.column${k + 2}`).join(', ')
  for (let i = 0; i < rows.length; i += per) {
    const part = rows.slice(i, i + per)
    await db.$executeRawUnsafe(`UPDATE ${q(table)} SET ${set} FROM (VALUES ${tuples(part.length, width)}) AS v WHERE ${q(table)}."id" = v.column1`, ...part.flat())
  }
}

/** DELETE FROM table WHERE column IN (…). */
export async function deleteWhereIn (db: Client, table: string, column: string, values: Value[]): Promise<void> {
  for (let i = 0; i < values.length; i += MAX_PARAMS) {
    const part = values.slice(i, i + MAX_PARAMS)
    await db.$executeRawUnsafe(`DELETE FROM ${q(table)} WHERE ${q(column)} IN (${part.map(() => '?').join(',')})`, ...part)
  }
}
