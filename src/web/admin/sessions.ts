import { createHash, createHmac, randomBytes } from 'node:crypto'
import type { Db } from '../../db/db'

// Every statement on admin_sessions (migration 004). Times are bound from the caller's clock, so
// tests can move them and all web processes judge expiry by the same rule.

/** How long a dashboard login lasts, counted from the login (using it does not extend it). */
export const ADMIN_SESSION_MS = 12 * 60 * 60 * 1000

/** A cookie value this module could have issued: 32 bytes in base64url, nothing else reaches SQL. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/

const hashId = (id: string) => createHash('sha256').update(id).digest('hex')

/**
 * Names the ADMIN_TOKEN a session was opened with, keyed with SECRET so the table says nothing about
 * the token. Sessions only count under the current tag: changing ADMIN_TOKEN (after a leak) or SECRET
 * logs everyone out.
 */
export function adminTokenTag(secret: string, token: string): string {
  return createHmac('sha256', secret).update(`admin-token\n${token}`).digest('base64url')
}

/** Opens a session and returns the cookie value (the only copy of the id); sweeps expired ones. */
export async function openAdminSession(
  db: Db,
  session: { tokenTag: string; now: Date; ip: string | null },
): Promise<string> {
  const id = randomBytes(32).toString('base64url')
  const expiresAt = new Date(session.now.getTime() + ADMIN_SESSION_MS)
  await db.query('delete from admin_sessions where expires_at <= $1', [session.now])
  await db.query(
    `insert into admin_sessions (id_hash, token_tag, created_at, expires_at, last_seen_at, ip)
     values ($1, $2, $3, $4, $3, $5)`,
    [hashId(id), session.tokenTag, session.now, expiresAt, session.ip],
  )
  return id
}

/** Whether `id` (the cookie value) is a live session under `tokenTag`; notes when it was last used. */
export async function touchAdminSession(
  db: Db,
  id: string | undefined,
  tokenTag: string,
  now: Date,
): Promise<boolean> {
  if (id === undefined || !SESSION_ID.test(id)) return false
  const { rowCount } = await db.query(
    `update admin_sessions set last_seen_at = $3
     where id_hash = $1 and token_tag = $2 and ended_at is null and expires_at > $3`,
    [hashId(id), tokenTag, now],
  )
  return rowCount === 1
}

/** Ends a session (logout): from now on its cookie is refused by every process. */
export async function endAdminSession(db: Db, id: string | undefined, now: Date): Promise<void> {
  if (id === undefined || !SESSION_ID.test(id)) return
  await db.query('update admin_sessions set ended_at = $2 where id_hash = $1 and ended_at is null', [
    hashId(id),
    now,
  ])
}
