import type { Pacing } from '../content/types'
import type { Queryable } from '../db/db'
import { dropWaiting, type QueuedEmail, queueEmails } from '../delivery/store/queue'
import { addDays, daysBetween, localDate } from '../lib/local-time'
import { dayZero, type LessonRef, planNextLesson, type ScheduleSettings } from './plan'
import {
  addEnrolments,
  type Enrolment,
  enrolmentProgress,
  findEnrolment,
  isActive,
  moveAnchor,
  readEnrolments,
  setEnrolmentStatus,
  startEnrolments,
} from './progress'

/** A course as planning needs it: its lessons by day, when lessons may go, and its pacing. */
export interface CourseSettings {
  slug: string
  lessons: readonly LessonRef[]
  schedule: ScheduleSettings
  pacing: Pacing
}

/** The courses of the current content, by slug (undefined: no such course any more). */
export type Courses = (slug: string) => CourseSettings | undefined

/**
 * Queues the next lesson of each active enrolment at its due time, in one statement. At most one
 * lesson per enrolment waits in the queue: the next is planned only once the one before is recorded.
 * Returns the ids queued (for `sendSoon`: a lesson due now goes at once).
 */
export async function queueNextLessons(
  q: Queryable,
  enrolments: Iterable<Enrolment>,
  courses: Courses,
  now: Date,
): Promise<number[]> {
  const emails: QueuedEmail[] = []
  for (const enrolment of enrolments) {
    const course = courses(enrolment.course)
    const progress = isActive(enrolment) ? enrolmentProgress(enrolment) : null
    const next = course && progress && planNextLesson(progress, course.lessons, course.schedule, now)
    if (next)
      emails.push({
        subscriberId: enrolment.subscriber_id,
        kind: 'lesson',
        course: enrolment.course,
        round: enrolment.round,
        item: next.lesson.slug,
        dueAt: next.dueAt,
      })
  }
  return (await queueEmails(q, emails, now)).map((row) => row.id)
}

/** Today's date per zone, worked out once per zone (an import may hold thousands of readers in a few zones). */
function todayIn(now: Date): (zone: string) => string {
  const today = new Map<string, string>()
  return (zone) => {
    let date = today.get(zone)
    if (date === undefined) {
      date = localDate(now, zone)
      today.set(zone, date)
    }
    return date
  }
}

/**
 * Starts these enrolments now (a reader confirmed, accepted an invitation, was imported with proof of
 * consent): day 0 is today in their zone, and lesson day 0 is queued to go at once; in a cohort
 * course, day 0 is the group's date (a late joiner gets day 0 at once and catches up one lesson a
 * day). `restart` begins a new round of a course they had (every lesson again, from today: a restart
 * is at the reader's own pace, whatever the course's). Returns the lesson ids queued.
 */
export async function startEnrolmentsNow(
  q: Queryable,
  enrolments: readonly Enrolment[],
  courses: Courses,
  now: Date,
  options: { restart?: boolean } = {},
): Promise<number[]> {
  if (enrolments.length === 0) return []
  const today = todayIn(now)
  const anchorOf = (e: Enrolment) => {
    const pacing = courses(e.course)?.pacing
    if (!pacing || options.restart) return today(e.timezone)
    // Signups after a cohort closed join the next group; if none is set (an import, say), the current one.
    return (
      dayZero(pacing, localDate(e.created_at, e.timezone), today(e.timezone)) ??
      pacing.starts ??
      today(e.timezone)
    )
  }
  await startEnrolments(
    q,
    enrolments.map((e) => ({
      id: e.id,
      anchorDate: anchorOf(e),
      ...(options.restart ? { round: e.round + 1 } : {}),
    })),
    now,
  )
  const started = await readEnrolments(
    q,
    enrolments.map((e) => e.subscriber_id),
  )
  const ids = new Set(enrolments.map((e) => e.id))
  return queueNextLessons(
    q,
    started.filter((e) => ids.has(e.id)),
    courses,
    now,
  )
}

/**
 * Enrols readers in a course (or finds their enrolment) and starts it now: an import with proof of
 * consent, or a course started from a signed link. Returns the lesson ids queued.
 */
export async function enrolAndStart(
  q: Queryable,
  readers: readonly { subscriberId: number }[],
  course: string,
  source: string,
  courses: Courses,
  now: Date,
): Promise<number[]> {
  await addEnrolments(
    q,
    readers.map((r) => ({ subscriberId: r.subscriberId, course, status: 'pending' as const, source })),
    now,
  )
  const enrolments = await readEnrolments(
    q,
    readers.map((r) => r.subscriberId),
    { course },
  )
  return startEnrolmentsNow(
    q,
    enrolments.filter((e) => e.status === 'pending'),
    courses,
    now,
  )
}

/** Day 0 moved forward by the whole local days away, so what is left keeps its spacing. */
function anchorAfterAbsence(e: Enrolment, since: Date | null, now: Date): string | null {
  if (!e.anchor_date || !since) return null
  const away = Math.max(0, daysBetween(localDate(since, e.timezone), localDate(now, e.timezone)))
  return addDays(e.anchor_date, away)
}

/**
 * A reader is back on the list (confirmed again after leaving, or resubscribed): each course they
 * were in continues where they were, counted from today (the days away move the rest along); a
 * course they were waiting to start (`start`: the one the confirmation was for, or all of them) starts.
 * A confirmation also ends their pauses (`unpause`); resubscribing from preferences keeps them.
 * Returns the ids of the lessons queued.
 */
export async function welcomeBack(
  q: Queryable,
  subscriberId: number,
  awaySince: Date | null,
  courses: Courses,
  now: Date,
  options: { start: string | 'all-pending' | null; unpause: boolean },
): Promise<number[]> {
  const enrolments = await readEnrolments(q, [subscriberId], { forUpdate: true })
  const toStart = enrolments.filter(
    (e) => e.status === 'pending' && (options.start === 'all-pending' || options.start === e.course),
  )
  for (const e of enrolments) {
    // A cohort keeps the group's dates: the reader catches up one lesson a day.
    const cohort = courses(e.course)?.pacing.mode === 'cohort'
    const anchor = cohort ? null : anchorAfterAbsence(e, awaySince, now)
    if (e.status === 'paused' && options.unpause)
      await setEnrolmentStatus(q, e.id, 'active', now, anchor ?? undefined)
    else if (anchor && (e.status === 'active' || e.status === 'paused'))
      await moveAnchor(q, e.id, anchor, now)
  }
  const started = await startEnrolmentsNow(q, toStart, courses, now)
  const running = await readEnrolments(q, [subscriberId])
  const startedIds = new Set(toStart.map((e) => e.id))
  return [
    ...started,
    ...(await queueNextLessons(
      q,
      running.filter((e) => !startedIds.has(e.id)),
      courses,
      now,
    )),
  ]
}

/** Pauses one course of a reader: its waiting lesson is dropped and planned again on resuming. */
export async function pauseCourse(q: Queryable, enrolment: Enrolment, now: Date): Promise<void> {
  if (enrolment.status !== 'active') return
  await setEnrolmentStatus(q, enrolment.id, 'paused', now)
  await dropWaiting(q, enrolment.subscriber_id, ['lesson'], enrolment.course)
}

/**
 * Resumes a paused (or left) course where it was: the rest moves forward by the days away and the
 * next lesson is queued; in a cohort course the group's dates stay, and the reader catches up one
 * lesson a day. Returns the ids queued.
 */
export async function resumeCourse(
  q: Queryable,
  enrolment: Enrolment,
  courses: Courses,
  now: Date,
): Promise<number[]> {
  if (enrolment.status !== 'paused' && enrolment.status !== 'left') return []
  const cohort = courses(enrolment.course)?.pacing.mode === 'cohort'
  const anchor = cohort ? null : anchorAfterAbsence(enrolment, enrolment.paused_at ?? enrolment.left_at, now)
  await setEnrolmentStatus(q, enrolment.id, 'active', now, anchor ?? undefined)
  const resumed = await findEnrolment(q, enrolment.subscriber_id, enrolment.course)
  return resumed ? queueNextLessons(q, [resumed], courses, now) : []
}

/** Leaves one course: its waiting lesson is dropped; the rest of the reader's mail goes on. */
export async function leaveCourse(q: Queryable, enrolment: Enrolment, now: Date): Promise<void> {
  if (enrolment.status === 'left') return
  await setEnrolmentStatus(q, enrolment.id, 'left', now)
  await dropWaiting(q, enrolment.subscriber_id, ['lesson'], enrolment.course)
}

/** Starts a course again from day 0 (a new round: every lesson once more). Returns the ids queued. */
export async function restartCourse(
  q: Queryable,
  enrolment: Enrolment,
  courses: Courses,
  now: Date,
): Promise<number[]> {
  await dropWaiting(q, enrolment.subscriber_id, ['lesson'], enrolment.course)
  return startEnrolmentsNow(q, [enrolment], courses, now, { restart: true })
}

/**
 * Plans a reader's waiting lessons again (their time zone changed): each queued row is replaced by
 * one at the send hour in the new zone. Rows already handed to a provider stay as they are.
 */
export async function replanReader(
  q: Queryable,
  subscriberId: number,
  courses: Courses,
  now: Date,
): Promise<void> {
  await dropWaiting(q, subscriberId, ['lesson'])
  await queueNextLessons(q, await readEnrolments(q, [subscriberId]), courses, now)
}
