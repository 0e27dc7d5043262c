import type { Queryable } from '../db/db'
import { lessonsOf } from '../delivery/store/reads'
import { localDate } from '../lib/local-time'
import type { CourseSettings } from './lessons'
import { type PlannedLesson, planRemaining } from './plan'
import { enrolmentProgress, findEnrolment, isActive } from './progress'

/** One line of a reader's timeline: a lesson sent, waiting, or planned, with when. */
export interface TimelineEntry extends PlannedLesson {
  /** The delivery's state (`sent`, `queued`, …), or `planned` for lessons not queued yet. */
  state: string
}

/**
 * A reader's course from start to end, as it stands: the lessons the queue holds for the current round
 * (sent or waiting), then the rest as planned from the waiting one (or from now). Null before their
 * course starts.
 */
export async function readerTimeline(
  q: Queryable,
  subscriberId: number,
  course: CourseSettings,
  now: Date,
): Promise<TimelineEntry[] | null> {
  const enrolment = await findEnrolment(q, subscriberId, course.slug)
  const progress = enrolment && enrolmentProgress(enrolment)
  if (!enrolment || !progress) return null
  const dayOf = (slug: string) => course.lessons.find((lesson) => lesson.slug === slug)?.day
  const rows = await lessonsOf(q, subscriberId, course.slug, enrolment.round)
  const entries: TimelineEntry[] = rows.map((row) => ({
    slug: row.item,
    day: dayOf(row.item) ?? -1,
    dueAt: row.sent_at ?? row.due_at,
    localDate: localDate(row.sent_at ?? row.due_at, enrolment.timezone),
    state: row.status,
  }))
  if (!isActive(enrolment)) return entries
  // After the lesson waiting in the queue (if any), the rest as planned from there.
  const waiting = rows.find((row) => row.status === 'queued' || row.status === 'claimed')
  const waitingDay = waiting ? dayOf(waiting.item) : undefined
  const from =
    waiting && waitingDay !== undefined
      ? { ...progress, lastDay: waitingDay, lastSentOn: localDate(waiting.due_at, enrolment.timezone) }
      : progress
  const after = waiting && waiting.due_at > now ? waiting.due_at : now
  for (const planned of planRemaining(from, course.lessons, course.schedule, after))
    entries.push({ ...planned, state: 'planned' })
  return entries
}
