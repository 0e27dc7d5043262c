import type { Queryable } from '../db/db'

export type DeliveryKind = 'confirmation' | 'lesson' | 'newsletter'

/**
 * Puts one email in the queue. The unique (subscriber, kind, item) key makes a second row for the
 * same email impossible; returns the new row's id, or null if it was already there.
 */
export async function enqueueDelivery(
  q: Queryable,
  d: { subscriberId: number; kind: DeliveryKind; item: string; dueAt: Date },
  now: Date,
): Promise<number | null> {
  const { rows } = await q.query<{ id: number }>(
    `insert into deliveries (subscriber_id, kind, item, status, due_at, created_at, updated_at)
     values ($1, $2, $3, 'queued', $4, $5, $5)
     on conflict (subscriber_id, kind, item) do nothing
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
