/**
 * Per-cluster bearer tokens. A token is 32 random bytes (base64url, prefixed `kns_`); only its
 * sha256 is stored, which is enough for high-entropy secrets. Each cluster holds one read-write and
 * one read-only token; rotation replaces both in one transaction.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Store } from './store.ts'
import type { Repo } from './repo.ts'

export type TokenRole = 'read-write' | 'read-only'

export interface ClusterTokens { readWrite: string, readOnly: string }

export interface TokenOwner { clusterId: number, cluster: string, role: TokenRole }

export function hashToken (token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

export function newToken (): string {
  return 'kns_' + randomBytes(32).toString('base64url')
}

/** Replaces the tokens of cluster `clusterId` inside an open write; answers the new plaintext tokens. */
export async function issueTokensTx (repo: Repo, clusterId: number, now = new Date()): Promise<ClusterTokens> {
  const tokens: ClusterTokens = { readWrite: newToken(), readOnly: newToken() }
  await repo.db.clusterToken.deleteMany({ where: { clusterId } })
  await repo.db.clusterToken.createMany({
    data: [
      { clusterId, role: 'read-write', hash: hashToken(tokens.readWrite), createdAt: now },
      { clusterId, role: 'read-only', hash: hashToken(tokens.readOnly), createdAt: now }
    ]
  })
  return tokens
}

/** Who holds `token`, or null. */
export async function findTokenOwner (store: Store, token: string): Promise<TokenOwner | null> {
  const hash = hashToken(token)
  return await store.read(async repo => {
    const row = await repo.db.clusterToken.findUnique({ where: { hash }, include: { cluster: { select: { name: true } } } })
    if (row == null) return null
    return { clusterId: row.clusterId, cluster: row.cluster.name, role: row.role as TokenRole }
  })
}
