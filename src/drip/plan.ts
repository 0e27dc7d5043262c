import { DateTime, IANAZone } from 'luxon'

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

/** A valid IANA zone name, or UTC. */
export function safeZone(timezone: string | null | undefined): string {
  return timezone && IANAZone.isValidZone(timezone) ? timezone : 'UTC'
}

/** The local calendar date of an instant in a zone. */
export function localDate(instant: Date, timezone: string): string {
  return DateTime.fromJSDate(instant, { zone: safeZone(timezone) }).toISODate() as string
}

/** Whole calendar days from one local date to another (negative if `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round(
    DateTime.fromISO(to, { zone: 'UTC' }).diff(DateTime.fromISO(from, { zone: 'UTC' }), 'days').days,
  )
}

export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate() as string
}

/**
 * The instant of `hour`:00 on a local date. Daylight-saving transitions give one instant either way:
 * an hour that does not exist (clocks jump forward) becomes the first instant after the gap, and an
 * hour that happens twice (clocks fall back) is its first occurrence.
 */
export function localHourInstant(date: string, hour: number, timezone: string): Date {
  const zone = safeZone(timezone)
  const [year, month, day] = date.split('-').map(Number)
  const local = DateTime.fromObject({ year, month, day, hour }, { zone })
  // Luxon moves a skipped hour forwards (what we want) but resolves a repeated hour to its second
  // occurrence; step back to the first if the same wall-clock time also existed earlier
  // (transitions are 60 minutes, or 30 in a few zones such as Australia/Lord_Howe).
  for (const minutes of [60, 30]) {
    const earlier = local.minus({ minutes })
    if (earlier.hour === local.hour && earlier.minute === local.minute && earlier.day === local.day) {
      return earlier.toJSDate()
    }
  }
  return local.toJSDate()
}

/** The lesson after the cursor in the current content (lessons sorted by day). */
export function nextLesson(lessons: readonly LessonRef[], lastDay: number | null): LessonRef | undefined {
  return lessons.find((lesson) => lastDay === null || lesson.day > lastDay)
}

/** Moves a local date forward to the first allowed weekday. */
export function nextAllowedDate(date: string, sendDays: readonly number[]): string {
  let current = date
  for (let i = 0; i < 7; i++) {
    if (sendDays.includes(DateTime.fromISO(current, { zone: 'UTC' }).weekday)) return current
    current = addDays(current, 1)
  }
  return date // no allowed day configured: config validation prevents this
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
