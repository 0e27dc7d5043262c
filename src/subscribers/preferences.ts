import {
  leaveCourse,
  pauseCourse,
  replanReader,
  restartCourse,
  resumeCourse,
  startEnrolmentsNow,
  welcomeBack,
} from '../course/lessons'
import { findEnrolment } from '../course/progress'
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
}

/** The outcome of a preference change: the new row, or what was wrong with the input (nothing saved). */
export type PreferenceResult =
  | { ok: true; subscriber: Subscriber }
  | { ok: false; errors: { name?: string }; subscriber: Subscriber }

/**
 * Applies preference changes in one transaction: turning the newsletter off drops a waiting issue; a
 * new time zone re-plans the waiting lessons. A zone is compared by what it is, not how it is spelled
 * (`Asia/Calcutta` is `Asia/Kolkata`), and one that is missing or unknown leaves the stored zone alone:
 * only the reader's own choice moves their lessons.
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
    const saved = await updateSubscriber(
      tx,
      s.id,
      { name: checkedName.name, timezone, newsletter_opt_in: newsletter },
      now,
    )
    if (newsletter !== s.newsletter_opt_in) {
      if (!newsletter) await dropWaiting(tx, s.id, ['newsletter'])
      deps.logger.info({ subscriberId, newsletter }, 'newsletter preference changed')
    }
    if (timezone !== previousZone) await replanReader(tx, s.id, deps.courses(), now)
    return { ok: true, subscriber: saved }
  })
}

/** What a reader may do with one of their courses from the preferences or unsubscribe page. */
export type CourseAction = 'start' | 'pause' | 'resume' | 'leave' | 'restart'

/**
 * Starts (one they were invited to), pauses, resumes, leaves or restarts one of a reader's courses; the
 * others go on as they were. Starting needs a confirmed reader (the preferences link proves the mailbox).
 * Returns whether anything changed (a course they are not in, or an action that does not apply to its
 * state, changes nothing).
 */
export async function changeCourse(
  deps: SubscriberDeps,
  subscriberId: number,
  course: string,
  action: CourseAction,
): Promise<boolean> {
  const now = deps.clock.now()
  const outcome = await deps.db.transaction(async (tx) => {
    const enrolment = await findEnrolment(tx, subscriberId, course, true)
    if (!enrolment) return { changed: false, lessonIds: [] as number[] }
    const before = enrolment.status
    let lessonIds: number[] = []
    if (action === 'start' && before === 'pending')
      lessonIds = await startEnrolmentsNow(tx, [enrolment], deps.courses(), now)
    else if (action === 'pause' && before === 'active') await pauseCourse(tx, enrolment, now)
    else if (action === 'resume' && (before === 'paused' || before === 'left'))
      lessonIds = await resumeCourse(tx, enrolment, deps.courses(), now)
    else if (action === 'leave' && before !== 'left' && before !== 'completed')
      await leaveCourse(tx, enrolment, now)
    else if (action === 'restart' && before !== 'pending')
      lessonIds = await restartCourse(tx, enrolment, deps.courses(), now)
    else return { changed: false, lessonIds }
    return { changed: true, lessonIds }
  })
  if (outcome.changed) deps.logger.info({ subscriberId, course, action }, 'course changed by its reader')
  deps.sendSoon(outcome.lessonIds)
  return outcome.changed
}

/**
 * Undoes an unsubscribe from the preferences page (the link proves the mailbox): their courses go on
 * where they were. Bounced and complained addresses must subscribe again through the form and confirm.
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
    await welcomeBack(tx, s.id, s.unsubscribed_at, deps.courses(), now, { start: null, unpause: false })
    deps.logger.info({ subscriberId }, 'resubscribed')
    return back
  })
}
