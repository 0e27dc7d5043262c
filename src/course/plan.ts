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
 * after downtime, the backlog drains one a day). Day 0 of a new enrolment goes at `now`.
 */
export function lessonDueAt(
  progress: CourseProgress,
  lesson: LessonRef,
  settings: ScheduleSettings,
  now: Date,
): Date {
  if (lesson.day === 0 && progress.lastDay === null) return now
  let date = addDays(progress.anchorDate, lesson.day)
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

/** The whole timeline for someone confirming at `confirmedAt`. */
export function planTimeline(
  lessons: readonly LessonRef[],
  timezone: string,
  confirmedAt: Date,
  settings: ScheduleSettings,
): PlannedLesson[] {
  const zone = safeZone(timezone)
  const start: CourseProgress = {
    timezone: zone,
    anchorDate: localDate(confirmedAt, zone),
    lastDay: null,
    lastSentOn: null,
  }
  return planRemaining(start, lessons, settings, confirmedAt)
}
