import { userInfo } from 'node:os'
import type { Queryable } from '../db/db'

/**
 * The audit log (`audit_log`, migration 009; every statement on it is here): who did what to whom,
 * and when. The web admin and the CLI record the same actions under the same names, so the log reads
 * the same whichever was used. Entries are only added, never changed. A reader is named by id only,
 * never by address: the log outlives an erasure without keeping anything personal.
 */

/** What an operator can do that the log records. */
export const AUDIT_ACTIONS = [
  'subscriber.resend_confirmation',
  'subscriber.course',
  'subscriber.unsubscribe',
  'subscriber.erase',
  'subscriber.export',
  'subscriber.show',
  'newsletter.test',
  'newsletter.send',
  'newsletter.schedule',
  'webhook.remove',
  'webhook.disable',
  'webhook.enable',
  'webhook.add',
  'webhook.test',
] as const

export type AuditAction = (typeof AUDIT_ACTIONS)[number]

/** The web admin's name in the log (it has one token, so one name). */
export const ADMIN_ACTOR = 'admin'

/** The CLI's name in the log: `cli:` and the operating-system user who ran the command. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`
  } catch {
    // No passwd entry for the uid (some containers): still say it was the CLI.
    return 'cli:unknown'
  }
}

/** One entry as stored. */
export interface AuditEntry {
  id: number
  at: Date
  actor: string
  action: AuditAction
  subscriber_id: number | null
  target: string | null
  detail: Record<string, unknown>
}

/** What an entry says: who, what, about whom (or what), and anything worth keeping beside it. */
export interface AuditRecord {
  actor: string
  action: AuditAction
  subscriberId?: number | null
  target?: string | null
  detail?: Record<string, unknown>
}

/** Adds one entry at `now` (the caller's clock), in the caller's transaction when given one. */
export async function recordAudit(q: Queryable, record: AuditRecord, now: Date): Promise<void> {
  await q.query(
    `insert into audit_log (at, actor, action, subscriber_id, target, detail)
     values ($1, $2, $3, $4, $5, $6::jsonb)`,
    [
      now,
      record.actor,
      record.action,
      record.subscriberId ?? null,
      record.target ?? null,
      JSON.stringify(record.detail ?? {}),
    ],
  )
}

/**
 * A page of entries, newest first: those before the id `before` (keyset, so every page is an index
 * range however long the log), of one reader when `subscriberId` is given.
 */
export async function listAudit(
  q: Queryable,
  options: { limit: number; before?: number; subscriberId?: number },
): Promise<AuditEntry[]> {
  // Only the conditions asked for (see searchSubscribers): one reader's entries read their index.
  const params: unknown[] = [options.limit]
  const where: string[] = []
  if (options.before != null) where.push(`id < $${params.push(options.before)}`)
  if (options.subscriberId != null) where.push(`subscriber_id = $${params.push(options.subscriberId)}`)
  const { rows } = await q.query<AuditEntry>(
    `select id, at, actor, action, subscriber_id, target, detail from audit_log
     ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit $1`,
    params,
  )
  return rows.map((row) => ({
    ...row,
    id: Number(row.id),
    subscriber_id: row.subscriber_id === null ? null : Number(row.subscriber_id),
    // pg parses jsonb; a driver that hands back text still gives an object here.
    detail: typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail,
  }))
}
