import type { Db, Queryable } from '../db/db'
import { CONSENT_TEXT, CONSENT_VERSION } from './consent'
import { findSubscriberByKey, type Subscriber } from './store'
import { addSuppression } from './suppression'
import { findSuppressedKeys } from './suppression-batch'

/** One email sent (or planned) to the person, without the batch internals. */
export interface DeliveryRecord {
  id: number
  kind: string
  item: string
  status: string
  due_at: Date
  created_at: Date
  sent_at: Date | null
  delivered_at: Date | null
  opened_at: Date | null
  clicked_at: Date | null
  bounced_at: Date | null
  complained_at: Date | null
  open_count: number
  click_count: number
  provider_id: string | null
  last_error: string | null
  skip_reason: string | null
}

/** A provider event about the person's emails, with the payload as received (it names them). */
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

/** Everything held about one person: the answer to a GDPR access request (article 15). */
export interface SubscriberRecord {
  subscriber: Subscriber
  /** The words they agreed to, when they signed up through the current form. */
  consentText: string | null
  deliveries: DeliveryRecord[]
  emailEvents: EmailEventRecord[]
  /** An older erasure is still on record (they subscribed anew and have not confirmed yet). */
  erasureOnRecord: boolean
}

export type SubscriberLookup = { found: true; record: SubscriberRecord } | { found: false; erased: boolean }

/**
 * The events that concern a subscriber: linked to them, to one of their deliveries, or carrying the
 * provider id of one (an event the webhook could not match yet). Shown and erased alike.
 */
const THEIR_EVENTS = `(subscriber_id = $1
  or delivery_id in (select id from deliveries where subscriber_id = $1)
  or provider_id in (select provider_id from deliveries where subscriber_id = $1 and provider_id is not null))`

/**
 * Reads everything held about the address (by its key). Tokens are not stored, and none are made
 * here: the record must be safe to hand over or paste into a ticket. Writes nothing.
 */
export async function readSubscriberRecord(q: Queryable, key: string): Promise<SubscriberLookup> {
  const subscriber = await findSubscriberByKey(q, key)
  const erased = (await findSuppressedKeys(q, [key])).has(key)
  if (!subscriber) return { found: false, erased }
  const deliveries = await q.query<DeliveryRecord>(
    `select id, kind, item, status, due_at, created_at, sent_at, delivered_at, opened_at, clicked_at,
       bounced_at, complained_at, open_count, click_count, provider_id, last_error, skip_reason
     from deliveries where subscriber_id = $1 order by id`,
    [subscriber.id],
  )
  const events = await q.query<EmailEventRecord>(
    `select event_id, type, provider_id, delivery_id, link, detail, occurred_at, received_at, processed_at, payload
     from email_events where ${THEIR_EVENTS} order by received_at, event_id`,
    [subscriber.id],
  )
  return {
    found: true,
    record: {
      subscriber,
      consentText: subscriber.consent_text_version === CONSENT_VERSION ? CONSENT_TEXT : null,
      deliveries: deliveries.rows,
      emailEvents: events.rows,
      erasureOnRecord: erased,
    },
  }
}

/** What an erasure removed. */
export interface Erasure {
  email: string
  deliveries: number
  emailEvents: number
}

/**
 * Erases a person (GDPR article 17) in one transaction: their email events, their subscriber row and,
 * by cascade, every delivery. Only a salted hash of the address stays, so imports skip it and nothing
 * is mailed to it again unless they subscribe anew and confirm. Returns undefined for an unknown address.
 */
export async function eraseSubscriber(db: Db, key: string, now: Date): Promise<Erasure | undefined> {
  return db.transaction(async (tx) => {
    const subscriber = await findSubscriberByKey(tx, key, true)
    if (!subscriber) return undefined
    const events = await tx.query(`delete from email_events where ${THEIR_EVENTS}`, [subscriber.id])
    const deliveries = await tx.query<{ n: number }>(
      'select count(*)::int as n from deliveries where subscriber_id = $1',
      [subscriber.id],
    )
    await tx.query('delete from subscribers where id = $1', [subscriber.id])
    await addSuppression(tx, subscriber.email_key, 'erased', now)
    return { email: subscriber.email, deliveries: deliveries.rows[0]?.n ?? 0, emailEvents: events.rowCount }
  })
}
