import type { Content } from '../content/catalog'
import { countFunnelEnds } from '../course/progress'
import type { Queryable } from '../db/db'
import type { SubscriberStatus } from '../db/rows'
import { countItemFigures, type ItemFigures } from '../delivery/store/reads'
import {
  countDailySignups,
  countSubscribersByState,
  countUnsubscribedAfter,
  type DayFigures,
  SUBSCRIBER_STATES,
} from '../subscribers/counts'

/** One email's figures with its place in the content and the people who left after it. */
export interface EmailRow extends Omit<ItemFigures, 'course'> {
  title: string
  unsubscribedAfter: number
}

export interface LessonRow extends EmailRow {
  course: string
  /** The lesson's `day`, or null if it is no longer in the course (removed after being sent). */
  day: number | null
}

export interface NewsletterRow extends EmailRow {
  /** The issue's date, or null if it is no longer in the newsletters folder. */
  date: string | null
}

/** One step of a course's funnel and its share of the first step (0…1). */
export interface FunnelStep {
  course: string
  step: string
  people: number
  share: number
}

/** A course as the figures name it. */
export interface CourseRef {
  slug: string
  title: string
}

/** Everything the dashboard, `course stats` and the CSV exports show. */
export interface StatsReport {
  generatedAt: string
  range: { from: string; to: string; days: number }
  subscribers: { status: SubscriberStatus; count: number }[]
  daily: DayFigures[]
  /** The courses shown (all, or the one asked for), in listing order. */
  courses: CourseRef[]
  /** Every lesson of the courses shown, course by course. */
  lessons: LessonRow[]
  /** Each course's funnel, course by course. */
  funnel: FunnelStep[]
  newsletters: NewsletterRow[]
}

export const DEFAULT_DAYS = 30
export const MAX_DAYS = 366
const DAY_MS = 24 * 60 * 60 * 1000

const utcDay = (date: Date) => date.toISOString().slice(0, 10)

const zeroFigures = (course: string | null, item: string): ItemFigures => ({
  course,
  item,
  sent: 0,
  delivered: 0,
  opened: 0,
  clicked: 0,
  bounced: 0,
  complained: 0,
})

/** The last `days` UTC days up to and including today, every day present (zeros where nothing happened). */
export function fillDays(found: DayFigures[], lastDay: string, days: number): DayFigures[] {
  const byDay = new Map(found.map((d) => [d.day, d]))
  const end = Date.parse(`${lastDay}T00:00:00Z`)
  return Array.from({ length: days }, (_, index) => {
    const day = utcDay(new Date(end - (days - 1 - index) * DAY_MS))
    return byDay.get(day) ?? { day, signups: 0, confirmations: 0 }
  })
}

/**
 * Rows in the content's order (known items first), then items that are only in the database (removed
 * from the content after being sent), so no sent email disappears from the figures.
 */
function orderRows<Known extends { slug: string; title: string }, Row>(
  known: readonly Known[],
  figures: ItemFigures[],
  row: (figures: ItemFigures, title: string, known: Known | undefined) => Row,
): Row[] {
  const bySlug = new Map(figures.map((f) => [f.item, f]))
  const slugs = new Set(known.map((k) => k.slug))
  const course = figures[0]?.course ?? null
  return [
    ...known.map((k) => row(bySlug.get(k.slug) ?? zeroFigures(course, k.slug), k.title, k)),
    ...figures.filter((f) => !slugs.has(f.item)).map((f) => row(f, '(no longer in the content)', undefined)),
  ]
}

/** Enrolled → started → each lesson sent → completed, with each step's share of the first. */
export function buildFunnel(
  course: string,
  totals: { enrolled: number; started: number; completed: number },
  lessons: readonly LessonRow[],
): FunnelStep[] {
  const steps = [
    { step: 'Signed up', people: totals.enrolled },
    { step: 'Confirmed and started', people: totals.started },
    ...lessons
      .filter((lesson) => lesson.day !== null)
      .map((lesson) => ({ step: `Day ${lesson.day}: ${lesson.title}`, people: lesson.sent })),
    { step: 'Completed the course', people: totals.completed },
  ]
  const base = steps[0]!.people
  return steps.map((s) => ({ course, ...s, share: base > 0 ? s.people / base : 0 }))
}

/**
 * Reads every figure at `now` (the injected clock's time); `days` is the span of the daily figures,
 * `course` narrows the course figures to one course.
 */
export async function readStats(
  q: Queryable,
  content: Pick<Content, 'courses' | 'newsletters'>,
  now: Date,
  options: { days?: number; course?: string } = {},
): Promise<StatsReport> {
  const days = Math.min(MAX_DAYS, Math.max(1, Math.trunc(options.days ?? DEFAULT_DAYS)))
  const to = utcDay(now)
  const fromMs = Date.parse(`${to}T00:00:00Z`) - (days - 1) * DAY_MS
  const [states, daily, lessonFigures, newsletterFigures, leftAfter, ends] = await Promise.all([
    countSubscribersByState(q),
    countDailySignups(q, new Date(fromMs), new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS)),
    countItemFigures(q, 'lesson'),
    countItemFigures(q, 'newsletter'),
    countUnsubscribedAfter(q),
    countFunnelEnds(q),
  ])
  const courses = content.courses.filter((c) => !options.course || c.slug === options.course)
  const lessons: LessonRow[] = []
  const funnel: FunnelStep[] = []
  for (const course of courses) {
    const rows = orderRows(
      course.lessons,
      lessonFigures.filter((f) => f.course === course.slug),
      (f, title, lesson): LessonRow => ({
        ...f,
        course: course.slug,
        title,
        day: lesson?.day ?? null,
        unsubscribedAfter: leftAfter.get(`lesson:${course.slug}/${f.item}`) ?? 0,
      }),
    )
    lessons.push(...rows)
    funnel.push(
      ...buildFunnel(course.slug, ends.get(course.slug) ?? { enrolled: 0, started: 0, completed: 0 }, rows),
    )
  }
  const issues = [...content.newsletters].sort((a, b) => b.date.localeCompare(a.date))
  // Only issues that went to someone: a draft in the folder has no figures to show.
  const sentIssues = issues.filter((issue) => newsletterFigures.some((f) => f.item === issue.slug))
  const newsletters = orderRows(sentIssues, newsletterFigures, ({ course: _none, ...f }, title, issue) => ({
    ...f,
    title,
    date: issue?.date ?? null,
    unsubscribedAfter: leftAfter.get(`newsletter:${f.item}`) ?? 0,
  }))
  return {
    generatedAt: now.toISOString(),
    range: { from: utcDay(new Date(fromMs)), to, days },
    subscribers: SUBSCRIBER_STATES.map((status) => ({ status, count: states[status] })),
    daily: fillDays(daily, to, days),
    courses: courses.map((c) => ({ slug: c.slug, title: c.title })),
    lessons,
    funnel,
    newsletters,
  }
}
