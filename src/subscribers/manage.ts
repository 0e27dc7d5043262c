import type { Queryable } from '../db/db'
import { queueNextLesson, replanLesson, resumePatch } from '../drip/enroll'
import { dropQueued } from '../drip/queue'
import { canonicalZone } from '../lib/timezones'
import type { SubscriberDeps } from './deps'
import { findSubscriberById, type Subscriber, updateSubscriber } from './store'
import { checkName } from './validate'

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

/** The outcome of a preference change: the new row, or what was wrong with the input (nothing saved). */
export type PreferenceResult =
  | { ok: true; subscriber: Subscriber }
  | { ok: false; errors: { name?: string }; subscriber: Subscriber }

/**
 * Applies preference changes in one transaction: pausing drops the queued lesson; resuming moves the
 * rest of the course forward by the days away; a new time zone re-plans the next lesson. A zone is
 * compared by what it is, not how it is spelled (`Asia/Calcutta` is `Asia/Kolkata`), and one that is
 * missing or unknown leaves the stored zone alone: only the reader's own choice moves their lessons.
 */
export async function updatePreferences(
  deps: SubscriberDeps,
  subscriberId: number,
  change: PreferenceChange,
): Promise<PreferenceResult | undefined> {
  const now = deps.clock.now()
  return deps.db.transaction(async (tx): Promise<PreferenceResult | undefined> => {
    let s = await findSubscriberById(tx, subscriberId, true)
    if (!s) return undefined
    const checkedName =
      change.name === undefined ? { ok: true as const, name: s.name } : checkName(change.name)
    if (!checkedName.ok) return { ok: false, errors: { name: checkedName.message }, subscriber: s }
    const previousZone = canonicalZone(s.timezone) ?? 'UTC'
    const timezone = canonicalZone(change.timezone) ?? previousZone
    s = await updateSubscriber(tx, s.id, { name: checkedName.name, timezone }, now)
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
    } else if (timezone !== previousZone) {
      await replanLesson(tx, s, deps.lessons(), deps.schedule, now)
    }
    return { ok: true, subscriber: s }
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
