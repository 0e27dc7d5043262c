import { createHash } from 'node:crypto'
import type { Db } from '../db/db'
import { readMeta, writeMeta } from '../db/meta'
import { dropWaitingByIds, listWaiting, queueEmails, withLessonUnderway } from '../delivery/store/queue'
import { addDays, daysBetween, localDate } from '../lib/local-time'
import type { Logger } from '../lib/logger'
import { type CourseSettings, type Courses, queueNextLessons } from './lessons'
import { nextLesson, planNextLesson } from './plan'
import { enrolmentProgress, listUnfinished, readEnrolments, reopenCompleted } from './progress'

/** Identifies the lesson plans of all courses (slugs and days); text edits do not change it. */
export function lessonPlanSignature(courses: readonly Pick<CourseSettings, 'slug' | 'lessons'>[]): string {
  const plan = courses
    .map(
      (course) =>
        `${course.slug}:${course.lessons.map((lesson) => `${lesson.slug}@${lesson.day}`).join(',')}`,
    )
    .sort()
    .join('\n')
  return createHash('sha256').update(plan).digest('hex').slice(0, 16)
}

const PLAN_KEY = 'lesson_plan'
const PAGE = 1000

/**
 * After lessons were added, removed or re-dayed, re-points every waiting lesson at the lesson that is
 * now next in its reader's course, at that lesson's time, and gives readers who had finished a lesson
 * added after their last one (if its day has not come yet for them). In pages of waiting rows; rows
 * already in a batch are left to the sender's own check. The new plan is recorded only once all of it
 * is done, so a crash midway means the next worker does it again (every step is safe to repeat).
 */
export async function replanLessonQueue(
  db: Db,
  courses: readonly CourseSettings[],
  now: Date,
  logger: Logger,
): Promise<number> {
  const signature = lessonPlanSignature(courses)
  if ((await readMeta(db, PLAN_KEY)) === signature) return 0
  let fixed = 0
  for (const course of courses) {
    fixed += await replanWaiting(db, course, now)
    fixed += await queueForFinishedReaders(
      db,
      course,
      (slug) => (slug === course.slug ? course : undefined),
      now,
    )
  }
  await writeMeta(db, PLAN_KEY, signature)
  if (fixed > 0) logger.info({ fixed }, 'lesson plan changed: waiting lessons re-planned')
  return fixed
}

/** Waiting lessons of one course that are no longer their reader's next, re-pointed in pages. */
async function replanWaiting(db: Db, course: CourseSettings, now: Date): Promise<number> {
  let fixed = 0
  for (let after = 0; ; ) {
    const waiting = await listWaiting(db, 'lesson', { after, limit: PAGE, course: course.slug })
    if (waiting.length === 0) return fixed
    after = waiting.at(-1)!.id
    const enrolments = new Map(
      (
        await readEnrolments(
          db,
          waiting.map((w) => w.subscriberId),
          { course: course.slug },
        )
      ).map((e) => [e.subscriber_id, e]),
    )
    const wrong = waiting.filter((w) => {
      const e = enrolments.get(w.subscriberId)
      const progress = e && e.round === w.round && enrolmentProgress(e)
      return progress && nextLesson(course.lessons, progress.lastDay)?.slug !== w.item
    })
    if (wrong.length === 0) continue
    await db.transaction(async (tx) => {
      await dropWaitingByIds(
        tx,
        wrong.map((w) => w.id),
      )
      const planned = wrong.flatMap((w) => {
        const e = enrolments.get(w.subscriberId)!
        const next = planNextLesson(enrolmentProgress(e)!, course.lessons, course.schedule, now)
        return next
          ? [
              {
                subscriberId: w.subscriberId,
                kind: 'lesson' as const,
                course: course.slug,
                round: e.round,
                item: next.lesson.slug,
                dueAt: next.dueAt,
              },
            ]
          : []
      })
      await queueEmails(tx, planned, now)
    })
    fixed += wrong.length
  }
}

/**
 * Readers of a course with nothing waiting (they finished it) get a lesson added after their last one,
 * if its day has not come yet for them; someone who finished long ago is not brought back.
 */
async function queueForFinishedReaders(
  db: Db,
  course: CourseSettings,
  courses: Courses,
  now: Date,
): Promise<number> {
  const lastDay = course.lessons.at(-1)?.day
  if (lastDay === undefined) return 0
  let queued = 0
  for (let after = 0; ; ) {
    const page = await listUnfinished(db, course.slug, lastDay, { after, limit: PAGE })
    if (page.length === 0) return queued
    after = page.at(-1)!.id
    const busy = await withLessonUnderway(
      db,
      course.slug,
      page.map((e) => e.subscriber_id),
    )
    const idle = page.filter((e) => {
      if (busy.has(e.subscriber_id)) return false
      const lesson = nextLesson(course.lessons, e.last_day)
      return (
        lesson &&
        e.anchor_date &&
        daysBetween(localDate(now, e.timezone), addDays(e.anchor_date, lesson.day)) >= 0
      )
    })
    if (idle.length === 0) continue
    await reopenCompleted(
      db,
      idle.map((e) => e.id),
      now,
    )
    queued += (
      await queueNextLessons(
        db,
        idle.map((e) => ({ ...e, status: 'active' as const })),
        courses,
        now,
      )
    ).length
  }
}

/**
 * A tick task: re-plans once per lesson-plan change. The signature seen last is kept in memory so an
 * unchanged plan costs nothing; the database's record makes a change applied once, by one process.
 */
export function replanWhenLessonsChange(
  db: Db,
  courses: () => Promise<readonly CourseSettings[]>,
  logger: Logger,
): (now: Date) => Promise<void> {
  let seen: string | null = null
  return async (now) => {
    const current = await courses()
    const signature = lessonPlanSignature(current)
    if (signature === seen) return
    await replanLessonQueue(db, current, now, logger)
    seen = signature
  }
}
