import { createHmac, randomBytes } from 'node:crypto'
import type { Queryable } from '../db/db'

/**
 * The salt for suppression hashes lives in the database (not in SECRET), so rotating SECRET does not
 * forget who asked to be erased. Created once, on first use.
 */
async function suppressionSalt(q: Queryable): Promise<string> {
  await q.query(
    `insert into meta (key, value) values ('suppression_salt', $1) on conflict (key) do nothing`,
    [randomBytes(32).toString('hex')],
  )
  const { rows } = await q.query<{ value: string }>(`select value from meta where key = 'suppression_salt'`)
  return rows[0]!.value
}

/** The stored form of an erased address: HMAC-SHA256 of its key with the database's salt. */
export function hashEmailKey(salt: string, emailKey: string): string {
  return createHmac('sha256', salt).update(emailKey).digest('hex')
}

export async function suppressionHash(q: Queryable, emailKey: string): Promise<string> {
  return hashEmailKey(await suppressionSalt(q), emailKey)
}

/** Records that an address must not be mailed again (erasure): only the salted hash is kept. */
export async function addSuppression(
  q: Queryable,
  emailKey: string,
  reason: string,
  now: Date,
): Promise<void> {
  await q.query(
    `insert into suppressions (email_hash, reason, created_at) values ($1, $2, $3)
     on conflict (email_hash) do update set reason = excluded.reason, created_at = excluded.created_at`,
    [await suppressionHash(q, emailKey), reason, now],
  )
}

export async function isSuppressed(q: Queryable, emailKey: string): Promise<boolean> {
  const { rows } = await q.query('select 1 from suppressions where email_hash = $1', [
    await suppressionHash(q, emailKey),
  ])
  return rows.length > 0
}

/** They subscribed anew and confirmed: the erasure record no longer applies. */
export async function clearSuppression(q: Queryable, emailKey: string): Promise<void> {
  await q.query('delete from suppressions where email_hash = $1', [await suppressionHash(q, emailKey)])
}
