import type { Queryable } from '../../db/db'

/**
 * What the provider reports about sent emails (webhook events), written onto their deliveries, and
 * the lookups that find the delivery an event is about.
 */

/** A delivery as an event sees it. `sent_at`: when it went out, or when it was queued if not yet. */
export interface SignalTarget {
  id: number
  subscriber_id: number
  kind: string
  item: string | null
  provider_id: string | null
  status: string
  sent_at: Date
}

const TARGET_COLUMNS =
  'id, subscriber_id, kind, item, provider_id, status, coalesce(sent_at, created_at) as sent_at'

/** The delivery the provider knows by this id (stored when the send was recorded). */
export async function findByProviderId(q: Queryable, providerId: string): Promise<SignalTarget | undefined> {
  const { rows } = await q.query<SignalTarget>(
    `select ${TARGET_COLUMNS} from deliveries where provider_id = $1 order by id limit 1`,
    [providerId],
  )
  return rows[0]
}

export async function findDeliveryById(q: Queryable, id: number): Promise<SignalTarget | undefined> {
  const { rows } = await q.query<SignalTarget>(`select ${TARGET_COLUMNS} from deliveries where id = $1`, [id])
  return rows[0]
}

/** The first-seen columns a signal may set. */
export type SignalColumn = 'delivered_at' | 'opened_at' | 'clicked_at' | 'bounced_at' | 'complained_at'

/** Sets a delivery's first-seen time for this signal; returns whether it was the first. */
export async function markFirstSignal(
  q: Queryable,
  deliveryId: number,
  column: SignalColumn,
  at: Date,
  now: Date,
): Promise<boolean> {
  // The column name comes from the fixed union above, never from the payload. Only a null column is
  // set, so concurrent reports of the same signal agree on which one was first.
  const { rowCount } = await q.query(
    `update deliveries set ${column} = $2, updated_at = $3 where id = $1 and ${column} is null`,
    [deliveryId, at, now],
  )
  return rowCount > 0
}

/** An open or a click: the first time is kept, every one is counted. */
export async function countEngagement(
  q: Queryable,
  deliveryId: number,
  kind: 'open' | 'click',
  at: Date,
  now: Date,
): Promise<void> {
  const sql =
    kind === 'open'
      ? 'update deliveries set opened_at = coalesce(opened_at, $2), open_count = open_count + 1, updated_at = $3 where id = $1'
      : 'update deliveries set clicked_at = coalesce(clicked_at, $2), click_count = click_count + 1, updated_at = $3 where id = $1'
  await q.query(sql, [deliveryId, at, now])
}

/** The provider did not send it after all (`email.failed`, `email.suppressed`): say so on the row. */
export async function markNotSent(
  q: Queryable,
  deliveryId: number,
  reason: string,
  now: Date,
): Promise<void> {
  await q.query(
    `update deliveries set status = case when status = 'sent' then 'failed' else status end,
       last_error = $2, updated_at = $3 where id = $1`,
    [deliveryId, reason, now],
  )
}
