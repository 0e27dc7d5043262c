import type { Queryable } from '../db/db'
import type { Subscriber, SubscriberPatch } from '../subscribers/store'
import {
  addDays,
  type CourseProgress,
  daysBetween,
  type LessonRef,
  lessonDueAt,
  localDate,
  nextLesson,
  type ScheduleSettings,
} from './plan'
import { dropQueued, enqueueDelivery } from './queue'

/** The parts of a subscriber the planner reads. */
export function progressOf(
  s: Pick<Subscriber, 'timezone' | 'course_anchor_date' | 'course_last_day' | 'course_last_sent_on'>,
): CourseProgress | null {
  if (!s.course_anchor_date) return null
  return {
    timezone: s.timezone,
    anchorDate: s.course_anchor_date,
    lastDay: s.course_last_day,
    lastSentOn: s.course_last_sent_on,
  }
}

/**
 * Queues the subscriber's next lesson, if the course has one left, at its due time. At most one
 * lesson per person waits in the queue: the next is planned only once the previous is recorded.
 * Returns the new delivery id, or null when nothing was queued (course finished, or already queued).
 */
export async function queueNextLesson(
  q: Queryable,
  subscriber: Subscriber,
  lessons: readonly LessonRef[],
  settings: ScheduleSettings,
  now: Date,
): Promise<number | null> {
  const progress = progressOf(subscriber)
  if (!progress || subscriber.status !== 'confirmed' || subscriber.course_paused) return null
  const lesson = nextLesson(lessons, progress.lastDay)
  if (!lesson) return null
  const dueAt = lessonDueAt(progress, lesson, settings, now)
  return enqueueDelivery(q, { subscriberId: subscriber.id, kind: 'lesson', item: lesson.slug, dueAt }, now)
}

/** Starts the course on confirmation: day 0 is the local date of confirming. */
export function enrolmentPatch(subscriber: Subscriber, now: Date): SubscriberPatch {
  return {
    course_anchor_date: localDate(now, subscriber.timezone),
    course_last_day: null,
    course_last_sent_on: null,
    course_completed_at: null,
  }
}

/**
 * How the course resumes after a pause (or a return after unsubscribing): the anchor moves forward by
 * the whole local days away, so what was left keeps its spacing, counted from the day they come back.
 */
export function resumePatch(subscriber: Subscriber, since: Date | null, now: Date): SubscriberPatch {
  if (!subscriber.course_anchor_date || !since) return {}
  const away = Math.max(
    0,
    daysBetween(localDate(since, subscriber.timezone), localDate(now, subscriber.timezone)),
  )
  return { course_anchor_date: addDays(subscriber.course_anchor_date, away) }
}

/** Re-plans the queued lesson (time zone changed, resumed): drops the unattempted row and queues it anew. */
export async function replanLesson(
  q: Queryable,
  subscriber: Subscriber,
  lessons: readonly LessonRef[],
  settings: ScheduleSettings,
  now: Date,
): Promise<void> {
  await dropQueued(q, subscriber.id, ['lesson'])
  await queueNextLesson(q, subscriber, lessons, settings, now)
}
