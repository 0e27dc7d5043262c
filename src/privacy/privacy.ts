import { type Enrolment, readEnrolments } from '../course/progress'
import type { Db, Queryable } from '../db/db'
import type { Subscriber } from '../db/rows'
import { type DeliveryRecord, deliveriesOf, deliveryIdsOf } from '../delivery/store/reads'
import { deleteEventsOf } from '../events/store'
import { CONSENT_TEXT, CONSENT_VERSION } from '../subscribers/consent'
import { findErasedKeys, recordErasure } from '../subscribers/erased'
import { deleteSubscriber, findSubscriberByKey } from '../subscribers/store'
import { deleteEventsAbout, type EmailEventRecord, eventsAbout } from '../webhooks/store'

/**
 * What the law lets a person ask of us: everything held about them (GDPR article 15), and to be
 * forgotten (article 17). Both reach across the tables that hold something of theirs: their row, their
 * emails, and the provider's events about those emails.
 */

/** Everything held about one person: the answer to an access request. */
export interface SubscriberRecord {
  subscriber: Subscriber
  /** The words they agreed to, when they signed up through the current form. */
  consentText: string | null
  /** Every course they are or were in, with where they are in it. */
  enrolments: Omit<Enrolment, 'timezone' | 'subscriber_status'>[]
  deliveries: DeliveryRecord[]
  emailEvents: EmailEventRecord[]
  /** An older erasure is still on record (they subscribed anew and have not confirmed yet). */
  erasureOnRecord: boolean
}

export type SubscriberLookup = { found: true; record: SubscriberRecord } | { found: false; erased: boolean }

/**
 * Reads everything held about the address (by its key). Tokens are not stored, and none are made
 * here: the record must be safe to hand over or paste into a ticket. Writes nothing.
 */
export async function readSubscriberRecord(q: Queryable, key: string): Promise<SubscriberLookup> {
  const subscriber = await findSubscriberByKey(q, key)
  const erased = (await findErasedKeys(q, [key])).has(key)
  if (!subscriber) return { found: false, erased }
  const ids = await deliveryIdsOf(q, subscriber.id)
  return {
    found: true,
    record: {
      subscriber,
      consentText: subscriber.consent_text_version === CONSENT_VERSION ? CONSENT_TEXT : null,
      enrolments: (await readEnrolments(q, [subscriber.id])).map(
        ({ timezone: _zone, subscriber_status: _status, ...enrolment }) => enrolment,
      ),
      deliveries: await deliveriesOf(q, subscriber.id),
      emailEvents: await eventsAbout(q, { subscriberId: subscriber.id, ...ids }),
      erasureOnRecord: erased,
    },
  }
}

/** What an erasure removed. */
export interface Erasure {
  email: string
  enrolments: number
  deliveries: number
  emailEvents: number
}

/**
 * Erases a person in one transaction: the provider's events about them, their subscriber row and, by
 * cascade, every delivery. Only a salted hash of the address stays, so imports skip it and nothing is
 * mailed to it again unless they subscribe anew and confirm. Returns undefined for an unknown address.
 */
export async function eraseSubscriber(db: Db, key: string, now: Date): Promise<Erasure | undefined> {
  return db.transaction(async (tx) => {
    const subscriber = await findSubscriberByKey(tx, key, true)
    if (!subscriber) return undefined
    const ids = await deliveryIdsOf(tx, subscriber.id)
    const enrolments = (await readEnrolments(tx, [subscriber.id])).length
    const events = await deleteEventsAbout(tx, { subscriberId: subscriber.id, ...ids })
    // Outgoing webhook events about them too: those not delivered yet never go.
    await deleteEventsOf(tx, subscriber.id)
    await deleteSubscriber(tx, subscriber.id)
    await recordErasure(tx, subscriber.email_key, 'erased', now)
    return { email: subscriber.email, enrolments, deliveries: ids.deliveryIds.length, emailEvents: events }
  })
}
