import type { Queryable } from '../db/db'

export type DeliveryKind = 'confirmation' | 'lesson' | 'newsletter'

/** Delivery states that never went out, so they do not stop the same email being queued again (SQL list). */
export const REQUEUED_STATES = `('skipped', 'cancelled')`

/**
 * The conflict clause of every insert into the queue. A row that exists already keeps the unique key
 * (no second send), except one that never went out (skipped or cancelled): that one is queued again,
 * so a reader who comes back, or a lesson that returns, is not blocked by an old decision.
 */
export const ON_CONFLICT_REQUEUE = `on conflict (subscriber_id, kind, item) do update
  set status = 'queued', due_at = excluded.due_at, batch_id = null, skip_reason = null, updated_at = excluded.updated_at
  where deliveries.status in ${REQUEUED_STATES}`

/**
 * Puts one email in the queue. The unique (subscriber, kind, item) key makes a second row for the
 * same email impossible; returns the row's id, or null if it was already there (queued or sent).
 */
export async function enqueueDelivery(
  q: Queryable,
  d: { subscriberId: number; kind: DeliveryKind; item: string; dueAt: Date },
  now: Date,
): Promise<number | null> {
  const { rows } = await q.query<{ id: number }>(
    `insert into deliveries (subscriber_id, kind, item, status, due_at, created_at, updated_at)
     values ($1, $2, $3, 'queued', $4, $5, $5)
     ${ON_CONFLICT_REQUEUE}
     returning id`,
    [d.subscriberId, d.kind, d.item, d.dueAt, now],
  )
  return rows[0]?.id ?? null
}

/**
 * Removes queued emails of these kinds that were never attempted (pause, unsubscribe, new time zone).
 * Rows already handed to a provider stay: their retry must go out identical, or not at all.
 */
export async function dropQueued(
  q: Queryable,
  subscriberId: number,
  kinds: readonly DeliveryKind[],
): Promise<number> {
  const { rowCount } = await q.query(
    `delete from deliveries
     where subscriber_id = $1 and kind = any($2::text[]) and status = 'queued' and batch_id is null`,
    [subscriberId, kinds],
  )
  return rowCount
}

/** How many confirmations were queued for this person since `since` (for the growing wait between them). */
export async function countRecentConfirmations(
  q: Queryable,
  subscriberId: number,
  since: Date,
): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `select count(*)::int as n from deliveries
     where subscriber_id = $1 and kind = 'confirmation' and created_at >= $2`,
    [subscriberId, since],
  )
  return rows[0]?.n ?? 0
}
