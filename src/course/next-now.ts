import type { Queryable } from '../db/db'
import { dropWaiting, moveWaitingDue, queueEmails } from '../delivery/store/queue'
import { lessonsOf } from '../delivery/store/reads'
import { addDays, localDate } from '../lib/local-time'
import type { Courses } from './lessons'
import { nextLesson } from './plan'
import { type Enrolment, markAskedNext, setEnrolmentStatus } from './progress'

/** What "Send me the next lesson now" did. */
export type NextNowResult =
  | { outcome: 'queued'; lesson: string; ids: number[] }
  /** Asked for already (a double press, another device), or being sent right now. */
  | { outcome: 'on-its-way'; lesson: string }
  | { outcome: 'already-sent'; lesson: string }
  /** The link came with the last lesson: there is no next one. */
  | { outcome: 'complete' }
  /** The link names a lesson the reader has not had, or one no longer in the course. */
  | { outcome: 'not-yet' }
  /** The reader left this course, or gets no email from us now. */
  | { outcome: 'not-running' }

/**
 * "Send me the next lesson now", from the link in lesson `after`: the lesson after it goes at once
 * (even on a day that already had a lesson: the reader asked), exactly once however often the link is
 * pressed, and day 0 moves so that the rest of the course keeps its spacing from today. A paused course
 * runs again. The caller holds the enrolment's lock (read for update).
 */
export async function askNextLesson(
  q: Queryable,
  enrolment: Enrolment,
  courses: Courses,
  after: string,
  now: Date,
): Promise<NextNowResult> {
  const course = courses(enrolment.course)
  const from = course?.lessons.find((lesson) => lesson.slug === after)
  if (!course || !from) return { outcome: 'not-yet' }
  const target = nextLesson(course.lessons, from.day)
  if (!target || enrolment.status === 'completed') return { outcome: 'complete' }
  if (
    enrolment.subscriber_status !== 'confirmed' ||
    enrolment.status === 'left' ||
    enrolment.status === 'pending'
  )
    return { outcome: 'not-running' }
  const lastDay = enrolment.last_day
  if (lastDay === null || lastDay < from.day) return { outcome: 'not-yet' }
  if (lastDay >= target.day) return { outcome: 'already-sent', lesson: target.slug }
  if (enrolment.asked_next === target.slug) return { outcome: 'on-its-way', lesson: target.slug }
  if (enrolment.status === 'paused') await setEnrolmentStatus(q, enrolment.id, 'active', now)
  const today = localDate(now, enrolment.timezone)
  await markAskedNext(q, enrolment.id, target.slug, addDays(today, -target.day), now)
  const rows = await lessonsOf(q, enrolment.subscriber_id, enrolment.course, enrolment.round)
  const waiting = rows.find(
    (row) => row.item === target.slug && (row.status === 'queued' || row.status === 'claimed'),
  )
  if (waiting) {
    // Handed to the provider already: it is going now anyway.
    if (!(await moveWaitingDue(q, waiting.id, now, now)))
      return { outcome: 'on-its-way', lesson: target.slug }
    return { outcome: 'queued', lesson: target.slug, ids: [waiting.id] }
  }
  // Nothing waiting for it (the course was paused): it is queued now, in place of anything else waiting.
  await dropWaiting(q, enrolment.subscriber_id, ['lesson'], enrolment.course)
  const queued = await queueEmails(
    q,
    [
      {
        subscriberId: enrolment.subscriber_id,
        kind: 'lesson',
        course: enrolment.course,
        round: enrolment.round,
        item: target.slug,
        dueAt: now,
      },
    ],
    now,
  )
  return { outcome: 'queued', lesson: target.slug, ids: queued.map((row) => row.id) }
}
