import type { Queryable } from '../db/db'
import { dropQueued } from '../drip/queue'
import { findSubscriberById, type SubscriberStatus, updateSubscriber } from '../subscribers/store'

/** Consecutive soft bounces (with no delivery in between) that count as a hard bounce. */
export const SOFT_BOUNCE_LIMIT = 3

/** Which states a provider signal may replace: a complaint outranks a bounce, which outranks leaving. */
const STRENGTH: Record<SubscriberStatus, number> = {
  pending: 0,
  confirmed: 0,
  unsubscribed: 1,
  bounced: 2,
  complained: 3,
}

/** When the signal happened, and when the email it is about went out (null: unknown or a confirmation). */
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
 * Stops all mail to someone whose address bounced or who complained: the status changes, queued
 * emails are dropped (the sender also re-checks the status right before sending), and
 * `unsubscribed_at` is set so that only a confirmation asked for after this brings them back.
 * Returns whether anything changed.
 */
export async function suppressSubscriber(
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
  await updateSubscriber(q, s.id, { status, unsubscribed_at: leftAt }, now)
  await dropQueued(q, s.id, ['confirmation', 'lesson', 'newsletter'])
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
  if (count >= SOFT_BOUNCE_LIMIT) await suppressSubscriber(q, s.id, 'bounced', time, now)
  return count
}

/** A delivered email ends a run of soft bounces. */
export async function resetSoftBounces(q: Queryable, subscriberId: number, now: Date): Promise<void> {
  await q.query(
    'update subscribers set soft_bounces = 0, updated_at = $2 where id = $1 and soft_bounces <> 0',
    [subscriberId, now],
  )
}
