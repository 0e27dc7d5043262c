import type { Queryable } from '../db/db'
import { dropWaiting, queueEmails } from '../delivery/store/queue'
import { addDays, daysBetween, localDate } from '../lib/local-time'
import { type LessonRef, planNextLesson, type ScheduleSettings } from './plan'
import {
  type Enrolment,
  enrolmentProgress,
  isActive,
  moveAnchor,
  readEnrolments,
  setPaused,
  startEnrolments,
} from './progress'

/** The course's lessons and schedule, as every function here needs them. */
export interface CourseSettings {
  lessons: readonly LessonRef[]
  schedule: ScheduleSettings
}

/**
 * Queues the next lesson of each active enrolment at its due time, in one statement. At most one
 * lesson per reader waits in the queue: the next is planned only once the one before is recorded.
 * Returns the ids queued (for `sendSoon`: a lesson due now goes at once).
 */
export async function queueNextLessons(
  q: Queryable,
  enrolments: Iterable<Enrolment>,
  course: CourseSettings,
  now: Date,
): Promise<number[]> {
  const emails = []
  for (const enrolment of enrolments) {
    const progress = isActive(enrolment) ? enrolmentProgress(enrolment) : null
    const next = progress && planNextLesson(progress, course.lessons, course.schedule, now)
    if (next)
      emails.push({
        subscriberId: enrolment.subscriber_id,
        kind: 'lesson' as const,
        item: next.lesson.slug,
        dueAt: next.dueAt,
      })
  }
  const queued = await queueEmails(q, emails, now)
  return queued.map((row) => row.id)
}

/**
 * Starts the courses of these readers (newly confirmed, or imported with proof of consent): day 0 is
 * today in their zone, and lesson day 0 is queued to go now.
 */
export async function startCourses(
  q: Queryable,
  readers: readonly { subscriberId: number; timezone: string }[],
  course: CourseSettings,
  now: Date,
): Promise<number[]> {
  // Today's date per zone, worked out once per zone rather than once per reader (an import may hold
  // thousands of readers in a handful of zones; a zone lookup costs ~40 µs).
  const today = new Map<string, string>()
  const dayZero = (zone: string) => {
    let date = today.get(zone)
    if (date === undefined) {
      date = localDate(now, zone)
      today.set(zone, date)
    }
    return date
  }
  await startEnrolments(
    q,
    readers.map((r) => ({ subscriberId: r.subscriberId, anchorDate: dayZero(r.timezone) })),
    now,
  )
  const started = await readEnrolments(
    q,
    readers.map((r) => r.subscriberId),
  )
  return queueNextLessons(q, started.values(), course, now)
}

/** Day 0 moved forward by the whole local days away, so what is left keeps its spacing. */
function anchorAfterAbsence(e: Enrolment, since: Date | null, now: Date): string | null {
  if (!e.course_anchor_date || !since) return null
  const away = Math.max(0, daysBetween(localDate(since, e.timezone), localDate(now, e.timezone)))
  return addDays(e.course_anchor_date, away)
}

/**
 * A reader is back (confirmed again after leaving, or resubscribed): the course continues where they
 * were, counted from today, or starts if it never did. A confirmation also ends a pause (`unpause`);
 * resubscribing from the preferences page keeps it. Returns the ids of lessons queued.
 */
export async function continueCourse(
  q: Queryable,
  reader: { subscriberId: number; timezone: string },
  awaySince: Date | null,
  course: CourseSettings,
  now: Date,
  options: { unpause: boolean },
): Promise<number[]> {
  const enrolment = (await readEnrolments(q, [reader.subscriberId], true)).get(reader.subscriberId)
  if (!enrolment?.course_anchor_date) return startCourses(q, [reader], course, now)
  const anchor = anchorAfterAbsence(enrolment, awaySince, now)
  if (anchor) await moveAnchor(q, reader.subscriberId, anchor, now)
  if (enrolment.course_paused && options.unpause)
    await setPaused(q, reader.subscriberId, { paused: false }, now)
  const moved = (await readEnrolments(q, [reader.subscriberId])).values()
  return queueNextLessons(q, moved, course, now)
}

/** Pauses a reader's course: the waiting lesson is dropped and planned again on resuming. */
export async function pauseCourse(q: Queryable, subscriberId: number, now: Date): Promise<void> {
  await setPaused(q, subscriberId, { paused: true }, now)
  await dropWaiting(q, subscriberId, ['lesson'])
}

/** Resumes a paused course: the rest moves forward by the days away and the next lesson is queued. */
export async function resumeCourse(
  q: Queryable,
  subscriberId: number,
  course: CourseSettings,
  now: Date,
): Promise<number[]> {
  const enrolment = (await readEnrolments(q, [subscriberId], true)).get(subscriberId)
  if (!enrolment?.course_paused) return []
  const anchor = anchorAfterAbsence(enrolment, enrolment.course_paused_at, now)
  await setPaused(q, subscriberId, { paused: false, ...(anchor ? { anchorDate: anchor } : {}) }, now)
  const resumed = (await readEnrolments(q, [subscriberId])).values()
  return queueNextLessons(q, resumed, course, now)
}

/**
 * Plans a reader's waiting lesson again (their time zone changed): the queued row is replaced by one at
 * the send hour in the new zone. Rows already handed to a provider stay as they are.
 */
export async function replanNextLesson(
  q: Queryable,
  subscriberId: number,
  course: CourseSettings,
  now: Date,
): Promise<void> {
  await dropWaiting(q, subscriberId, ['lesson'])
  await queueNextLessons(q, (await readEnrolments(q, [subscriberId])).values(), course, now)
}
