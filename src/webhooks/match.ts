import type { Queryable } from '../db/db'
import { findByProviderId, findDeliveryById, type SignalTarget } from '../delivery/store/signals'
import { findSubscriberById, findSubscriberByKey } from '../subscribers/store'
import { checkEmail } from '../subscribers/validate'
import type { EmailEvent } from './events'

/** The delivery an event is about (when known) and the person it concerns. */
export interface EventTarget {
  /**
   * `sentAt`: when the email went out (or was queued, if the send is not recorded yet). `inFlight`: the
   * provider call is made but its outcome not recorded yet (the row is still claimed).
   */
  delivery: { id: number; kind: string; item: string | null; sentAt: Date; inFlight: boolean } | null
  subscriberId: number | null
}

const positiveId = (value: string | undefined): number | null =>
  value !== undefined && /^[1-9][0-9]{0,15}$/.test(value) ? Number(value) : null

/**
 * The delivery named by the `delivery` tag. The tag is the fallback for events that arrive before the
 * send was recorded (the provider answered, our write is still in flight) and for batches recorded
 * without ids; it must agree with the `subscriber` tag and with any provider id already stored, so an
 * event from another installation sharing the account cannot touch our rows.
 */
async function deliveryByTags(
  q: Queryable,
  tags: Record<string, string>,
  emailId: string | null,
): Promise<SignalTarget | undefined> {
  const id = positiveId(tags.delivery)
  if (id === null) return undefined
  const row = await findDeliveryById(q, id)
  if (!row) return undefined
  const subscriber = positiveId(tags.subscriber)
  if (subscriber !== null && subscriber !== row.subscriber_id) return undefined
  if (emailId && row.provider_id && row.provider_id !== emailId) return undefined
  return row
}

/** The subscriber with this address (the only recipient of the email), if any. */
async function subscriberByRecipient(q: Queryable, to: string[]): Promise<number | null> {
  if (to.length !== 1) return null
  // Recipients may come as `Name <address>`.
  const address = /<([^<>]+)>\s*$/.exec(to[0]!)?.[1] ?? to[0]!
  const checked = checkEmail(address)
  if (!checked.ok) return null
  return (await findSubscriberByKey(q, checked.key))?.id ?? null
}

/**
 * Finds what an event is about: the delivery by the provider id stored at send time, else by the
 * tags sent with the email. Without a delivery (it was erased, or the email is not ours) the person
 * is still found by the `subscriber` tag or the recipient address, so a bounce or complaint always
 * stops their mail.
 */
export async function matchEvent(q: Queryable, event: EmailEvent): Promise<EventTarget> {
  const delivery =
    (event.emailId ? await findByProviderId(q, event.emailId) : undefined) ??
    (await deliveryByTags(q, event.tags, event.emailId))
  if (delivery) {
    return {
      delivery: {
        id: delivery.id,
        kind: delivery.kind,
        item: delivery.item,
        sentAt: delivery.sent_at,
        inFlight: delivery.status === 'claimed',
      },
      subscriberId: delivery.subscriber_id,
    }
  }
  const byRecipient = await subscriberByRecipient(q, event.to)
  if (byRecipient !== null || event.to.length > 0) return { delivery: null, subscriberId: byRecipient }
  // No recipient in the event: the `subscriber` tag is all there is.
  const tagged = positiveId(event.tags.subscriber)
  if (tagged === null) return { delivery: null, subscriberId: null }
  return { delivery: null, subscriberId: (await findSubscriberById(q, tagged))?.id ?? null }
}
