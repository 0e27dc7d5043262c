import type { Queryable } from '../db/db'
import { queueNextLesson, replanLesson, resumePatch } from '../drip/enroll'
import { dropQueued } from '../drip/queue'
import type { SubscriberDeps } from './deps'
import { findSubscriberById, type Subscriber, updateSubscriber } from './store'
import { cleanName, cleanTimezone } from './validate'

/** The last email that reached this person, e.g. `lesson:aftercare` (for "unsubscribed after" figures). */
async function lastSentItem(q: Queryable, subscriberId: number): Promise<string | null> {
  const { rows } = await q.query<{ item: string }>(
    `select kind || ':' || item as item from deliveries
     where subscriber_id = $1 and status = 'sent' order by sent_at desc, id desc limit 1`,
    [subscriberId],
  )
  return rows[0]?.item ?? null
}

/**
 * Stops all mail to this person at once: queued emails are dropped, and the sender checks the status
 * again right before any email still in flight. Bounced and complained stay as they are (stronger).
 */
export async function unsubscribe(
  deps: SubscriberDeps,
  subscriberId: number,
  via: string,
): Promise<Subscriber | undefined> {
  const now = deps.clock.now()
  const result = await deps.db.transaction(async (tx) => {
    const s = await findSubscriberById(tx, subscriberId, true)
    if (!s) return undefined
    await dropQueued(tx, s.id, ['confirmation', 'lesson', 'newsletter'])
    if (s.status !== 'pending' && s.status !== 'confirmed') return s
    return updateSubscriber(
      tx,
      s.id,
      { status: 'unsubscribed', unsubscribed_at: now, unsubscribed_after: await lastSentItem(tx, s.id) },
      now,
    )
  })
  if (result) deps.logger.info({ subscriberId, via }, 'unsubscribed')
  return result
}

/** What the preferences form may change. Absent fields stay as they are. */
export interface PreferenceChange {
  name?: unknown
  timezone?: unknown
  newsletter?: boolean
  paused?: boolean
}

/**
 * Applies preference changes in one transaction: pausing drops the queued lesson; resuming moves the
 * rest of the course forward by the days away; a new time zone re-plans the next lesson.
 */
export async function updatePreferences(
  deps: SubscriberDeps,
  subscriberId: number,
  change: PreferenceChange,
): Promise<Subscriber | undefined> {
  const now = deps.clock.now()
  return deps.db.transaction(async (tx) => {
    let s = await findSubscriberById(tx, subscriberId, true)
    if (!s) return undefined
    const previousTimezone = s.timezone
    const timezone = change.timezone === undefined ? s.timezone : cleanTimezone(change.timezone)
    const name = change.name === undefined ? s.name : cleanName(change.name)
    s = await updateSubscriber(tx, s.id, { name, timezone }, now)
    if (change.newsletter !== undefined && change.newsletter !== s.newsletter_opt_in) {
      s = await updateSubscriber(tx, s.id, { newsletter_opt_in: change.newsletter }, now)
      if (!change.newsletter) await dropQueued(tx, s.id, ['newsletter'])
      deps.logger.info({ subscriberId, newsletter: change.newsletter }, 'newsletter preference changed')
    }
    if (change.paused === true && !s.course_paused) {
      s = await updateSubscriber(tx, s.id, { course_paused: true, course_paused_at: now }, now)
      await dropQueued(tx, s.id, ['lesson'])
      deps.logger.info({ subscriberId }, 'course paused')
    } else if (change.paused === false && s.course_paused) {
      s = await updateSubscriber(
        tx,
        s.id,
        { course_paused: false, course_paused_at: null, ...resumePatch(s, s.course_paused_at, now) },
        now,
      )
      await queueNextLesson(tx, s, deps.lessons(), deps.schedule, now)
      deps.logger.info({ subscriberId }, 'course resumed')
    } else if (timezone !== previousTimezone) {
      await replanLesson(tx, s, deps.lessons(), deps.schedule, now)
    }
    return s
  })
}

/**
 * Undoes an unsubscribe from the preferences page (the link proves the mailbox). Bounced and
 * complained addresses must subscribe again through the form and confirm instead.
 */
export async function resubscribe(
  deps: SubscriberDeps,
  subscriberId: number,
): Promise<Subscriber | undefined> {
  const now = deps.clock.now()
  return deps.db.transaction(async (tx) => {
    const s = await findSubscriberById(tx, subscriberId, true)
    if (s?.status !== 'unsubscribed' || !s.confirmed_at) return s
    const back = await updateSubscriber(
      tx,
      s.id,
      { status: 'confirmed', unsubscribed_at: null, ...resumePatch(s, s.unsubscribed_at, now) },
      now,
    )
    await queueNextLesson(tx, back, deps.lessons(), deps.schedule, now)
    deps.logger.info({ subscriberId }, 'resubscribed')
    return back
  })
}
