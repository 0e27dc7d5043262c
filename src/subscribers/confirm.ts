import { restartCourse, resumeCourse, startEnrolmentsNow, welcomeBack } from '../course/lessons'
import { askNextLesson, type NextNowResult } from '../course/next-now'
import { addEnrolments, findEnrolment } from '../course/progress'
import type { Subscriber } from '../db/rows'
import { type TokenPurpose, verifyToken } from '../lib/links'
import { askFor } from './asks'
import type { SubscriberDeps } from './deps'
import { clearErasureRecord } from './erased'
import { askedSinceLeaving, confirm } from './status'
import { findSubscriberById } from './store'

/**
 * What a link in a person's own email does: confirming the address (and the course the confirmation
 * was for), asking for a fresh confirmation link, and starting another course.
 */

export type ConfirmResult =
  | { ok: true; alreadyConfirmed: boolean; subscriber: Subscriber; course: string | null }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'expired'; subscriberId: number }

/**
 * Checks a link's token for a course's purpose. Without a course only a confirmation is accepted: a
 * link from before courses had names.
 */
function checkCourseToken(
  deps: SubscriberDeps,
  purpose: 'confirm' | 'start',
  course: string | undefined,
  token: string | undefined,
  now: Date,
) {
  const scoped: TokenPurpose = course ? `${purpose}:${course}` : 'confirm'
  return verifyToken(deps.secret, scoped, token, now)
}

/**
 * Confirms a subscription (the POST behind the confirmation page's button: link scanners only GET):
 * the address, and the course the confirmation was for, which starts with lesson day 0 right away.
 * Someone coming back after leaving continues their courses where they were. Confirming twice is
 * harmless. A confirmation from before courses had names (`course` absent) starts every course the
 * person was waiting for.
 */
export async function confirmSubscription(
  deps: SubscriberDeps,
  token: string | undefined,
  course?: string,
): Promise<ConfirmResult> {
  const now = deps.clock.now()
  const check = checkCourseToken(deps, 'confirm', course, token, now)
  if (!check.ok)
    return check.reason === 'expired'
      ? { ok: false, reason: 'expired', subscriberId: check.subscriberId }
      : { ok: false, reason: 'invalid' }
  const outcome = await deps.db.transaction(async (tx) => {
    const invalid = { result: { ok: false, reason: 'invalid' } as ConfirmResult, lessonIds: [] as number[] }
    const s = await findSubscriberById(tx, check.subscriberId, true)
    if (!s) return invalid
    if (s.status === 'confirmed') {
      // Their address was confirmed before; a course they were still waiting for starts now.
      const waiting = course ? await findEnrolment(tx, s.id, course, true) : undefined
      const lessonIds =
        waiting?.status === 'pending' ? await startEnrolmentsNow(tx, [waiting], deps.courses(), now) : []
      const result: ConfirmResult = {
        ok: true,
        alreadyConfirmed: lessonIds.length === 0,
        subscriber: s,
        course: course ?? null,
      }
      return { result, lessonIds }
    }
    // Someone who left (or whose mail bounced or who complained) returns only through a confirmation
    // they asked for after leaving, never through an older link.
    if (!askedSinceLeaving(s)) return invalid
    const confirmed = await confirm(tx, s, now)
    await clearErasureRecord(tx, confirmed.email_key)
    const lessonIds = await welcomeBack(tx, s.id, s.unsubscribed_at, deps.courses(), now, {
      start: course ?? 'all-pending',
      unpause: true,
    })
    const result: ConfirmResult = {
      ok: true,
      alreadyConfirmed: false,
      subscriber: confirmed,
      course: course ?? null,
    }
    return { result, lessonIds }
  })
  if (outcome.result.ok && !outcome.result.alreadyConfirmed)
    deps.logger.info({ subscriberId: outcome.result.subscriber.id, course }, 'subscription confirmed')
  deps.sendSoon(outcome.lessonIds)
  return outcome.result
}

/**
 * Sends a fresh confirmation link to the owner of an expired one (the same limits as signups), for
 * the course the expired link was for (or the first they were waiting for).
 */
export async function resendConfirmation(
  deps: SubscriberDeps,
  subscriberId: number,
  course?: string,
): Promise<void> {
  const now = deps.clock.now()
  const ask = await deps.db.transaction(async (tx) => {
    const s = await findSubscriberById(tx, subscriberId, true)
    if (!s || s.status === 'confirmed') return null
    const target = course && deps.courseSlugs().includes(course) ? course : deps.courseSlugs()[0]
    if (!target) return null
    return askFor(tx, s, 'confirmation', target, now)
  })
  if (ask && ask.dueAt <= now) deps.sendSoon([ask.id])
}

/** What starting a course from a signed link did. */
export type StartResult =
  | { ok: true; started: 'now' | 'resumed' | 'again' | 'already'; course: string }
  | { ok: false; reason: 'invalid' | 'expired' | 'not-subscribed' | 'no-course' }

/**
 * Starts a course from a signed link in the reader's own email (an invitation, or a lesson's offer):
 * their mailbox proves it is them. A course not started yet starts now; one paused or left resumes
 * where it was; a finished one starts again from day 0; one running is left as it is.
 */
export async function startCourseFromLink(
  deps: SubscriberDeps,
  token: string | undefined,
  course: string,
): Promise<StartResult> {
  const now = deps.clock.now()
  if (!deps.courseSlugs().includes(course)) return { ok: false, reason: 'no-course' }
  const check = checkCourseToken(deps, 'start', course, token, now)
  if (!check.ok) return { ok: false, reason: check.reason === 'expired' ? 'expired' : 'invalid' }
  const outcome = await deps.db.transaction(async (tx) => {
    const s = await findSubscriberById(tx, check.subscriberId, true)
    if (!s) return { result: { ok: false, reason: 'invalid' } as StartResult, lessonIds: [] as number[] }
    if (s.status !== 'confirmed')
      return { result: { ok: false, reason: 'not-subscribed' } as StartResult, lessonIds: [] }
    await addEnrolments(tx, [{ subscriberId: s.id, course, status: 'pending', source: 'email link' }], now)
    const enrolment = (await findEnrolment(tx, s.id, course, true))!
    const courses = deps.courses()
    const start = async (): Promise<{ started: 'now' | 'resumed' | 'again' | 'already'; ids: number[] }> => {
      if (enrolment.status === 'pending')
        return { started: 'now', ids: await startEnrolmentsNow(tx, [enrolment], courses, now) }
      if (enrolment.status === 'paused' || enrolment.status === 'left')
        return { started: 'resumed', ids: await resumeCourse(tx, enrolment, courses, now) }
      if (enrolment.status === 'completed')
        return { started: 'again', ids: await restartCourse(tx, enrolment, courses, now) }
      return { started: 'already', ids: [] }
    }
    const { started, ids } = await start()
    return { result: { ok: true, started, course } as StartResult, lessonIds: ids }
  })
  if (outcome.result.ok && outcome.result.started !== 'already')
    deps.logger.info(
      { subscriberId: check.subscriberId, course, started: outcome.result.started },
      'course started from a link',
    )
  deps.sendSoon(outcome.lessonIds)
  return outcome.result
}

/**
 * "Send me the next lesson now" from a signed link in lesson `after` of `course` (the POST behind the
 * page's button): see askNextLesson. Invalid links change nothing.
 */
export async function nextLessonFromLink(
  deps: SubscriberDeps,
  token: string | undefined,
  course: string,
  after: string | undefined,
): Promise<NextNowResult | { outcome: 'invalid' }> {
  const now = deps.clock.now()
  const check = verifyToken(deps.secret, `next:${course}`, token, now)
  if (!check.ok || !after) return { outcome: 'invalid' }
  const result = await deps.db.transaction(async (tx) => {
    const enrolment = await findEnrolment(tx, check.subscriberId, course, true)
    if (!enrolment) return { outcome: 'invalid' } as const
    return askNextLesson(tx, enrolment, deps.courses(), after, now)
  })
  if (result.outcome === 'queued') {
    deps.logger.info(
      { subscriberId: check.subscriberId, course, lesson: result.lesson },
      'next lesson asked for now',
    )
    deps.sendSoon(result.ids)
  }
  return result
}
