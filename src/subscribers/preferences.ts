import { continueCourse, pauseCourse, replanNextLesson, resumeCourse } from '../course/lessons'
import type { Subscriber } from '../db/rows'
import { dropWaiting } from '../delivery/store/queue'
import { canonicalZone } from '../lib/timezones'
import type { SubscriberDeps } from './deps'
import { canResubscribe, leave, resubscribe as rejoin } from './status'
import { findSubscriberById, updateSubscriber } from './store'
import { checkName } from './validate'

/**
 * Stops all mail to this person at once (an unsubscribe link, the preferences page, the CLI): queued
 * emails are dropped, and the sender checks the status again right before any email still in flight.
 */
export async function unsubscribe(
  deps: SubscriberDeps,
  subscriberId: number,
  via: string,
): Promise<Subscriber | undefined> {
  const result = await deps.db.transaction((tx) => leave(tx, subscriberId, deps.clock.now()))
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
    const s = await findSubscriberById(tx, subscriberId, true)
    if (!s) return undefined
    const checkedName =
      change.name === undefined ? { ok: true as const, name: s.name } : checkName(change.name)
    if (!checkedName.ok) return { ok: false, errors: { name: checkedName.message }, subscriber: s }
    const previousZone = canonicalZone(s.timezone) ?? 'UTC'
    const timezone = canonicalZone(change.timezone) ?? previousZone
    const newsletter = change.newsletter ?? s.newsletter_opt_in
    await updateSubscriber(tx, s.id, { name: checkedName.name, timezone, newsletter_opt_in: newsletter }, now)
    if (newsletter !== s.newsletter_opt_in) {
      if (!newsletter) await dropWaiting(tx, s.id, ['newsletter'])
      deps.logger.info({ subscriberId, newsletter }, 'newsletter preference changed')
    }
    if (change.paused === true && !s.course_paused) {
      await pauseCourse(tx, s.id, now)
      deps.logger.info({ subscriberId }, 'course paused')
    } else if (change.paused === false && s.course_paused) {
      await resumeCourse(tx, s.id, deps.course(), now)
      deps.logger.info({ subscriberId }, 'course resumed')
    } else if (timezone !== previousZone) {
      await replanNextLesson(tx, s.id, deps.course(), now)
    }
    return { ok: true, subscriber: (await findSubscriberById(tx, s.id))! }
  })
}

/**
 * Undoes an unsubscribe from the preferences page (the link proves the mailbox): the course goes on
 * where it was. Bounced and complained addresses must subscribe again through the form and confirm.
 */
export async function resubscribe(
  deps: SubscriberDeps,
  subscriberId: number,
): Promise<Subscriber | undefined> {
  const now = deps.clock.now()
  return deps.db.transaction(async (tx) => {
    const s = await findSubscriberById(tx, subscriberId, true)
    if (!s || !canResubscribe(s)) return s
    const back = await rejoin(tx, s, now)
    await continueCourse(
      tx,
      { subscriberId: s.id, timezone: s.timezone },
      s.unsubscribed_at,
      deps.course(),
      now,
      {
        unpause: false,
      },
    )
    deps.logger.info({ subscriberId }, 'resubscribed')
    return (await findSubscriberById(tx, back.id))!
  })
}
