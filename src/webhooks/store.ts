import type { Queryable } from '../db/db'
import type { EmailEvent } from './events'

/** A recorded event as stored in email_events. */
export interface StoredEvent {
  event_id: string
  type: string
  provider_id: string | null
  occurred_at: Date | null
  received_at: Date
  processed_at: Date | null
  payload: unknown
}

/**
 * Records a verified event once: the provider's message id (`svix-id`) is the primary key, so a
 * redelivery of the same event changes nothing. Returns whether this call recorded it.
 */
export async function recordEvent(
  q: Queryable,
  eventId: string,
  event: EmailEvent,
  payload: unknown,
  now: Date,
): Promise<boolean> {
  const { rowCount } = await q.query(
    `insert into email_events (event_id, type, provider_id, link, detail, occurred_at, received_at, payload)
     values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
     on conflict (event_id) do nothing`,
    [
      eventId,
      event.type,
      event.emailId,
      event.link,
      event.detail,
      event.occurredAt,
      now,
      // Re-serialised (jsonb does not keep the bytes anyway), without NUL, which jsonb refuses.
      JSON.stringify(payload, (_key, value) =>
        typeof value === 'string' ? value.replaceAll('\u0000', '') : value,
      ),
    ],
  )
  return rowCount > 0
}

/**
 * Locks one unprocessed event for the transaction. Waits (no SKIP LOCKED) if another worker holds it,
 * then sees it processed: whoever returns from this has the event to itself, or nothing to do.
 */
export async function lockUnprocessedEvent(q: Queryable, eventId: string): Promise<StoredEvent | undefined> {
  const { rows } = await q.query<StoredEvent>(
    `select event_id, type, provider_id, occurred_at, received_at, processed_at, payload
     from email_events where event_id = $1 and processed_at is null for update`,
    [eventId],
  )
  return rows[0]
}

/**
 * Marks an event processed and keeps what it was matched to. An event that concerns nobody on the list
 * (a stranger, or someone erased since) keeps only its type, time and email id: its recipient address,
 * bounce text and clicked link are dropped, since no erasure request could ever find them.
 */
export async function markEventProcessed(
  q: Queryable,
  eventId: string,
  match: { deliveryId: number | null; subscriberId: number | null },
  now: Date,
): Promise<void> {
  // $5: unmatched, so only the type, time and email id are kept.
  await q.query(
    `update email_events set delivery_id = $2, subscriber_id = $3, processed_at = $4,
       link = case when $5 then null else link end,
       detail = case when $5 then null else detail end,
       payload = case when $5 then jsonb_strip_nulls(jsonb_build_object(
           'type', payload->'type',
           'created_at', payload->'created_at',
           'data', jsonb_strip_nulls(jsonb_build_object('email_id', payload->'data'->'email_id'))))
         else payload end
     where event_id = $1`,
    [
      eventId,
      match.deliveryId,
      match.subscriberId,
      now,
      match.subscriberId === null && match.deliveryId === null,
    ],
  )
}

/** Events recorded but not processed yet (a crash between the two), oldest first. */
export async function unprocessedEventIds(q: Queryable, limit: number): Promise<string[]> {
  const { rows } = await q.query<{ event_id: string }>(
    `select event_id from email_events where processed_at is null order by received_at, event_id limit $1`,
    [limit],
  )
  return rows.map((row) => row.event_id)
}

/** A provider event about a person's emails, with the payload as received (it names them). */
export interface EmailEventRecord {
  event_id: string
  type: string
  provider_id: string | null
  delivery_id: number | null
  link: string | null
  detail: string | null
  occurred_at: Date | null
  received_at: Date
  processed_at: Date | null
  payload: unknown
}

/** Whose events: a person, with the ids of their deliveries and the provider's ids of those. */
export interface EventOwner {
  subscriberId: number
  deliveryIds: readonly number[]
  providerIds: readonly string[]
}

/**
 * The events that concern a person: linked to them, to one of their deliveries, or carrying the
 * provider id of one (an event the webhook could not match yet). Shown and erased alike.
 */
const ABOUT = `(subscriber_id = $1 or delivery_id = any($2::bigint[]) or provider_id = any($3::text[]))`

export async function eventsAbout(q: Queryable, owner: EventOwner): Promise<EmailEventRecord[]> {
  const { rows } = await q.query<EmailEventRecord>(
    `select event_id, type, provider_id, delivery_id, link, detail, occurred_at, received_at, processed_at, payload
     from email_events where ${ABOUT} order by received_at, event_id`,
    [owner.subscriberId, owner.deliveryIds, owner.providerIds],
  )
  return rows
}

/** Deletes the events about a person (an erasure); returns how many. */
export async function deleteEventsAbout(q: Queryable, owner: EventOwner): Promise<number> {
  const { rowCount } = await q.query(`delete from email_events where ${ABOUT}`, [
    owner.subscriberId,
    owner.deliveryIds,
    owner.providerIds,
  ])
  return rowCount
}
