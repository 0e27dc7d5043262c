import { createHmac, randomBytes } from 'node:crypto'
import type { Queryable } from '../db/db'
import { keepFirstMeta, readMeta } from '../db/meta'

/**
 * Erasure records: addresses erased on request, kept only as a salted hash so that they are never
 * mailed again (import skips them) unless the person subscribes anew and confirms. The salt lives in
 * the database (not in SECRET), so rotating SECRET does not forget who asked to be erased.
 */

const SALT_KEY = 'suppression_salt'

/** The stored form of an erased address: HMAC-SHA256 of its key with the database's salt. */
export function hashEmailKey(salt: string, emailKey: string): string {
  return createHmac('sha256', salt).update(emailKey).digest('hex')
}

/** The salt, created on first use (only an erasure needs to create it). */
async function salt(q: Queryable): Promise<string> {
  return keepFirstMeta(q, SALT_KEY, randomBytes(32).toString('hex'))
}

/** Records that an address must not be mailed again (erasure): only the salted hash is kept. */
export async function recordErasure(
  q: Queryable,
  emailKey: string,
  reason: string,
  now: Date,
): Promise<void> {
  await q.query(
    `insert into suppressions (email_hash, reason, created_at) values ($1, $2, $3)
     on conflict (email_hash) do update set reason = excluded.reason, created_at = excluded.created_at`,
    [hashEmailKey(await salt(q), emailKey), reason, now],
  )
}

/** They subscribed anew and confirmed: the erasure record no longer applies. */
export async function clearErasureRecord(q: Queryable, emailKey: string): Promise<void> {
  const value = await readMeta(q, SALT_KEY)
  // No salt yet means nobody was ever erased.
  if (value === undefined) return
  await q.query('delete from suppressions where email_hash = $1', [hashEmailKey(value, emailKey)])
}

/**
 * Which of these address keys were erased on request, in two statements whatever their number, and
 * without writing anything (a dry run or an access request must not create the salt).
 */
export async function findErasedKeys(q: Queryable, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set()
  const value = await readMeta(q, SALT_KEY)
  if (value === undefined) return new Set()
  const byHash = new Map(keys.map((key) => [hashEmailKey(value, key), key]))
  const found = await q.query<{ email_hash: string }>(
    'select email_hash from suppressions where email_hash = any($1::text[])',
    [[...byHash.keys()]],
  )
  return new Set(found.rows.map((row) => byHash.get(row.email_hash)!))
}
