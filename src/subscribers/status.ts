import type { Queryable } from '../db/db'
import type { Subscriber, SubscriberStatus } from '../db/rows'
import { dropWaiting } from '../delivery/store/queue'
import { lastSentEmail } from '../delivery/store/reads'
import { emitEvents } from '../events/store'
import { subscriberData } from '../events/types'
import { findSubscriberById, updateSubscriber } from './store'

/**
 * A subscriber's status, and how it moves. From `pending`, confirming makes them `confirmed`; from
 * either, they can leave (`unsubscribed`), their mail can bounce (`bounced`) or they can complain
 * (`complained`). A complaint outranks a bounce, which outranks leaving: a weaker signal never
 * replaces a stronger one. Whoever left comes back only through a confirmation they asked for after
 * leaving (or, after an unsubscribe, from their preferences page, which proves the mailbox).
 */

/** Which states a later signal may replace: a higher number wins. */
const STRENGTH: Record<SubscriberStatus, number> = {
  pending: 0,
  confirmed: 0,
  unsubscribed: 1,
  bounced: 2,
  complained: 3,
}

/** Consecutive soft bounces (with no delivery in between) that count as a hard bounce. */
export const SOFT_BOUNCE_LIMIT = 3

/** Whether they get mail at all: pending people get confirmations, confirmed ones everything. */
export function isOnTheList(s: Pick<Subscriber, 'status'>): boolean {
  return s.status === 'pending' || s.status === 'confirmed'
}

/**
 * Whether their latest confirmation was asked for after they last left (a pending person always
 * counts as asking). Only such a confirmation may bring back someone who left.
 */
export function askedSinceLeaving(
  s: Pick<Subscriber, 'status' | 'confirmation_sent_at' | 'unsubscribed_at'>,
): boolean {
  if (s.status === 'pending') return true
  const asked = s.confirmation_sent_at
  return asked !== null && (!s.unsubscribed_at || asked > s.unsubscribed_at)
}

/** Stops all mail: the waiting emails go, and the sender checks the status again before any in flight. */
async function stopAllMail(
  q: Queryable,
  s: Subscriber,
  change: { status: SubscriberStatus; leftAt: Date; after?: string | null },
  now: Date,
): Promise<Subscriber> {
  await dropWaiting(q, s.id, ['confirmation', 'lesson', 'newsletter'])
  const updated = await updateSubscriber(
    q,
    s.id,
    {
      status: change.status,
      unsubscribed_at: change.leftAt,
      ...(change.after === undefined ? {} : { unsubscribed_after: change.after }),
    },
    now,
  )
  if (change.status === 'unsubscribed')
    await emitEvents(
      q,
      [{ type: 'subscriber.unsubscribed', subscriberId: s.id, data: subscriberData(updated) }],
      now,
    )
  return updated
}

/**
 * They leave (an unsubscribe link, the preferences page, the CLI): all mail stops at once. Someone
 * who bounced or complained stays as they are (stronger); their waiting emails are gone already.
 */
export async function leave(q: Queryable, subscriberId: number, now: Date): Promise<Subscriber | undefined> {
  const s = await findSubscriberById(q, subscriberId, true)
  if (!s) return undefined
  if (!isOnTheList(s)) {
    await dropWaiting(q, s.id, ['confirmation', 'lesson', 'newsletter'])
    return s
  }
  return stopAllMail(q, s, { status: 'unsubscribed', leftAt: now, after: await lastSentEmail(q, s.id) }, now)
}

/** When a provider signal happened, and when the email it is about went out (null: unknown or a confirmation). */
export interface SignalTime {
  at: Date
  emailSentAt: Date | null
}

/**
 * True when the person confirmed (again) after the email this signal is about went out: the signal
 * belongs to the time before they came back and must not undo their new confirmation. Without the
 * email's time, the event's own time decides.
 */
function predatesConfirmation(confirmedAt: Date | null, time: SignalTime): boolean {
  if (!confirmedAt) return false
  return (time.emailSentAt ?? time.at).getTime() < confirmedAt.getTime()
}

/**
 * Their mail bounced for good, or they complained: all mail stops, and `unsubscribed_at` is set so
 * that only a confirmation asked for after this brings them back. Returns whether anything changed.
 */
export async function stopAfterSignal(
  q: Queryable,
  subscriberId: number,
  status: 'bounced' | 'complained',
  time: SignalTime,
  now: Date,
): Promise<boolean> {
  const s = await findSubscriberById(q, subscriberId, true)
  if (!s || predatesConfirmation(s.confirmed_at, time)) return false
  if (STRENGTH[s.status] >= STRENGTH[status]) return false
  // Keep the later of the two: a confirmation must have been asked for after every way they left.
  const leftAt = s.unsubscribed_at && s.unsubscribed_at > time.at ? s.unsubscribed_at : time.at
  await stopAllMail(q, s, { status, leftAt }, now)
  return true
}

/**
 * Counts a soft bounce; the third in a row makes the address bounced. Returns the new count, or null
 * if the signal did not count (the person is gone or came back since).
 */
export async function countSoftBounce(
  q: Queryable,
  subscriberId: number,
  time: SignalTime,
  now: Date,
): Promise<number | null> {
  const s = await findSubscriberById(q, subscriberId, true)
  if (!s || predatesConfirmation(s.confirmed_at, time) || STRENGTH[s.status] >= STRENGTH.bounced) return null
  const count = s.soft_bounces + 1
  await updateSubscriber(q, s.id, { soft_bounces: count }, now)
  if (count >= SOFT_BOUNCE_LIMIT) await stopAfterSignal(q, s.id, 'bounced', time, now)
  return count
}

/** A delivered email ends a run of soft bounces. */
export async function resetSoftBounces(q: Queryable, subscriberId: number, now: Date): Promise<void> {
  await q.query(
    'update subscribers set soft_bounces = 0, updated_at = $2 where id = $1 and soft_bounces <> 0',
    [subscriberId, now],
  )
}

/** They confirmed their address (first time, or back after leaving through a fresh confirmation). */
export async function confirm(q: Queryable, s: Subscriber, now: Date): Promise<Subscriber> {
  const confirmed = await updateSubscriber(
    q,
    s.id,
    { status: 'confirmed', confirmed_at: now, unsubscribed_at: null, soft_bounces: 0 },
    now,
  )
  await emitEvents(
    q,
    [{ type: 'subscriber.confirmed', subscriberId: s.id, data: subscriberData(confirmed) }],
    now,
  )
  return confirmed
}

/** They undo an unsubscribe from their preferences page; bounced and complained people must confirm again. */
export function canResubscribe(s: Subscriber): boolean {
  return s.status === 'unsubscribed' && s.confirmed_at !== null
}

export async function resubscribe(q: Queryable, s: Subscriber, now: Date): Promise<Subscriber> {
  return updateSubscriber(q, s.id, { status: 'confirmed', unsubscribed_at: null }, now)
}
