import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Queryable } from '../db/db'

/**
 * API keys: `ck_<prefix>_<secret>`, shown once when created. Only the SHA-256 of the whole key and
 * its prefix (to name it) are stored; every statement on `api_keys` and `api_idempotency` is here.
 */

export const SCOPES = [
  'subscribers:read',
  'subscribers:write',
  /** Create subscribers without a confirmation email (the caller supplies the consent statement). */
  'subscribers:confirm',
  'stats:read',
] as const
export type Scope = (typeof SCOPES)[number]

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value)
}

export interface ApiKey {
  id: number
  name: string
  prefix: string
  scopes: Scope[]
  created_at: Date
  last_used_at: Date | null
  revoked_at: Date | null
}

const hash = (key: string) => createHash('sha256').update(key).digest('hex')

/** Creates a key; returns it in clear (the only time it exists in clear) with its record. */
export async function createKey(
  q: Queryable,
  input: { name: string; scopes: readonly Scope[] },
  now: Date,
): Promise<{ key: string; record: ApiKey }> {
  const prefix = randomBytes(4).toString('hex')
  const key = `ck_${prefix}_${randomBytes(24).toString('base64url')}`
  const { rows } = await q.query<ApiKey>(
    `insert into api_keys (name, prefix, key_hash, scopes, created_at) values ($1, $2, $3, $4, $5)
     returning id, name, prefix, scopes, created_at, last_used_at, revoked_at`,
    [input.name, prefix, hash(key), input.scopes, now],
  )
  return { key, record: rows[0]! }
}

export async function listKeys(q: Queryable): Promise<ApiKey[]> {
  const { rows } = await q.query<ApiKey>(
    'select id, name, prefix, scopes, created_at, last_used_at, revoked_at from api_keys order by id',
  )
  return rows
}

/** Revokes the key with this prefix; returns it, or undefined when there is none (or it was revoked). */
export async function revokeKey(q: Queryable, prefix: string, now: Date): Promise<ApiKey | undefined> {
  const { rows } = await q.query<ApiKey>(
    `update api_keys set revoked_at = $2 where prefix = $1 and revoked_at is null
     returning id, name, prefix, scopes, created_at, last_used_at, revoked_at`,
    [prefix, now],
  )
  return rows[0]
}

export type KeyCheck = { ok: true; key: ApiKey } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' }

/**
 * Finds the key a request presents: looked up by its prefix, then compared by hash in constant time.
 * Records when it was last used (at most once a minute, to keep busy keys from writing every request).
 */
export async function verifyKey(q: Queryable, presented: string, now: Date): Promise<KeyCheck> {
  const match = /^ck_([0-9a-f]{8})_[A-Za-z0-9_-]{32}$/.exec(presented)
  if (!match) return { ok: false, reason: 'malformed' }
  const { rows } = await q.query<ApiKey & { key_hash: string }>(
    'select id, name, prefix, key_hash, scopes, created_at, last_used_at, revoked_at from api_keys where prefix = $1',
    [match[1]],
  )
  const row = rows[0]
  const same = row ? timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(hash(presented))) : false
  if (!row || !same) return { ok: false, reason: 'unknown' }
  if (row.revoked_at) return { ok: false, reason: 'revoked' }
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000)
    await q.query('update api_keys set last_used_at = $2 where id = $1', [row.id, now])
  const { key_hash: _hash, ...key } = row
  return { ok: true, key }
}

/** What a POST with this Idempotency-Key answered before, if it did. */
export async function findIdempotent(
  q: Queryable,
  keyId: number,
  idempotencyKey: string,
): Promise<{ request_hash: string; status: number; body: unknown } | undefined> {
  const { rows } = await q.query<{ request_hash: string; status: number; body: unknown }>(
    'select request_hash, status, body from api_idempotency where key_id = $1 and idempotency_key = $2',
    [keyId, idempotencyKey],
  )
  return rows[0]
}

/** Keeps a POST's answer for its Idempotency-Key; false if another request stored one first. */
export async function saveIdempotent(
  q: Queryable,
  entry: { keyId: number; idempotencyKey: string; requestHash: string; status: number; body: unknown },
  now: Date,
): Promise<boolean> {
  const { rowCount } = await q.query(
    `insert into api_idempotency (key_id, idempotency_key, request_hash, status, body, created_at)
     values ($1, $2, $3, $4, $5::jsonb, $6) on conflict do nothing`,
    [entry.keyId, entry.idempotencyKey, entry.requestHash, entry.status, JSON.stringify(entry.body), now],
  )
  return rowCount > 0
}

/** Answers older than this are forgotten (a day, as providers keep theirs). */
export async function pruneIdempotent(q: Queryable, before: Date): Promise<number> {
  const { rowCount } = await q.query('delete from api_idempotency where created_at < $1', [before])
  return rowCount
}
