import type { Pacing } from '../content/types'
import {
  addDays,
  daysBetween,
  localDate,
  localHourInstant,
  nextAllowedDate,
  safeZone,
} from '../lib/local-time'

/** When lessons may go out: the local hour and the allowed ISO weekdays (1 = Monday). */
export interface ScheduleSettings {
  sendHour: number
  sendDays: readonly number[]
}

export const EVERGREEN: Pacing = { mode: 'evergreen', nextNow: false }

/**
 * The local date a reader's day 0 falls on, for someone who signed up on `signedUpOn` and starts
 * `today` (local dates). Evergreen and self-paced: today. A cohort: its start date for those who
 * signed up by its closing date, else the next group's; null when signups had closed and no next
 * group is set (signup refuses those).
 */
export function dayZero(pacing: Pacing, signedUpOn: string, today: string): string | null {
  if (pacing.mode !== 'cohort' || !pacing.starts) return today
  if (!pacing.closes || signedUpOn <= pacing.closes) return pacing.starts
  return pacing.nextStarts ?? null
}

/** Whether a cohort course takes no more signups (closed, and no next group set) on this date. */
export function signupsClosed(pacing: Pacing, today: string): boolean {
  return dayZero(pacing, today, today) === null
}

/** Where a subscriber is in the course. Dates are local dates (YYYY-MM-DD) in their time zone. */
export interface CourseProgress {
  timezone: string
  /** Local date of lesson day 0, moved forward by pauses. */
  anchorDate: string
  /** `day` of the last lesson handled, or null before the first. */
  lastDay: number | null
  /** Local date the last lesson was sent, or null. */
  lastSentOn: string | null
}

export interface LessonRef {
  slug: string
  day: number
}

/** What an enrolment stores of a reader's place (see progress.ts), with the reader's zone. */
export interface ProgressColumns {
  timezone: string
  anchor_date: string | null
  last_day: number | null
  last_sent_on: string | null
}

/** Where a reader is, from their stored enrolment; null before they start. The one way progress is built. */
export function progressOf(row: ProgressColumns): CourseProgress | null {
  if (!row.anchor_date) return null
  return {
    timezone: row.timezone,
    anchorDate: row.anchor_date,
    lastDay: row.last_day,
    lastSentOn: row.last_sent_on,
  }
}

/** The lesson after the cursor in the current content (lessons sorted by day). */
export function nextLesson(lessons: readonly LessonRef[], lastDay: number | null): LessonRef | undefined {
  return lessons.find((lesson) => lastDay === null || lesson.day > lastDay)
}

/**
 * When a lesson is due: on the local date `anchor + day`, at the send hour, moved to an allowed
 * weekday, and never on or before the local date the previous lesson was sent (one lesson a day;
 * after downtime, or for someone who joined a cohort late, the backlog drains one a day). A reader's
 * first lesson whose date has come goes at `now` (day 0 of a new start; a late joiner's first lesson).
 */
export function lessonDueAt(
  progress: CourseProgress,
  lesson: LessonRef,
  settings: ScheduleSettings,
  now: Date,
): Date {
  let date = addDays(progress.anchorDate, lesson.day)
  if (progress.lastDay === null && progress.lastSentOn === null && date <= localDate(now, progress.timezone))
    return now
  if (progress.lastSentOn && daysBetween(progress.lastSentOn, date) < 1)
    date = addDays(progress.lastSentOn, 1)
  date = nextAllowedDate(date, settings.sendDays)
  return localHourInstant(date, settings.sendHour, progress.timezone)
}

/**
 * A reader's next lesson and when it is due, or null when the course has none left for them. The one
 * planner: signup, confirmation, recording a lesson, re-planning and import all call it.
 */
export function planNextLesson(
  progress: CourseProgress,
  lessons: readonly LessonRef[],
  settings: ScheduleSettings,
  now: Date,
): { lesson: LessonRef; dueAt: Date } | null {
  const lesson = nextLesson(lessons, progress.lastDay)
  return lesson ? { lesson, dueAt: lessonDueAt(progress, lesson, settings, now) } : null
}

/** One planned lesson: what, and when (UTC), for `course simulate` and tests. */
export interface PlannedLesson {
  slug: string
  day: number
  dueAt: Date
  localDate: string
}

/**
 * The rest of a course from where someone is, assuming every lesson goes out when due (the first one
 * no earlier than `now`).
 */
export function planRemaining(
  progress: CourseProgress,
  lessons: readonly LessonRef[],
  settings: ScheduleSettings,
  now: Date,
): PlannedLesson[] {
  const plan: PlannedLesson[] = []
  let current = progress
  for (
    let lesson = nextLesson(lessons, current.lastDay);
    lesson;
    lesson = nextLesson(lessons, current.lastDay)
  ) {
    const due = lessonDueAt(current, lesson, settings, now)
    const dueAt = due < now ? now : due
    const sentOn = localDate(dueAt, current.timezone)
    plan.push({ slug: lesson.slug, day: lesson.day, dueAt, localDate: sentOn })
    current = { ...current, lastDay: lesson.day, lastSentOn: sentOn }
  }
  return plan
}

/**
 * The whole timeline for someone who signs up and starts at `confirmedAt` (for a cohort: day 0 is its
 * date, and a late joiner catches up one lesson a day). Empty when a cohort's signups are closed.
 */
export function planTimeline(
  lessons: readonly LessonRef[],
  timezone: string,
  confirmedAt: Date,
  settings: ScheduleSettings,
  pacing: Pacing = EVERGREEN,
): PlannedLesson[] {
  const zone = safeZone(timezone)
  const today = localDate(confirmedAt, zone)
  const anchorDate = dayZero(pacing, today, today)
  if (!anchorDate) return []
  const start: CourseProgress = { timezone: zone, anchorDate, lastDay: null, lastSentOn: null }
  return planRemaining(start, lessons, settings, confirmedAt)
}
