import { createHash } from 'node:crypto'
import type { Db } from '../db/db'
import { readMeta, writeMeta } from '../db/meta'
import { dropWaitingByIds, listWaiting, queueEmails, withLessonUnderway } from '../delivery/store/queue'
import { addDays, daysBetween, localDate } from '../lib/local-time'
import type { Logger } from '../lib/logger'
import { type CourseSettings, queueNextLessons } from './lessons'
import { type LessonRef, nextLesson, planNextLesson } from './plan'
import { enrolmentProgress, listActiveBefore, readEnrolments } from './progress'

/** Identifies the lesson plan (slugs and days); text edits do not change it. */
export function lessonPlanSignature(lessons: readonly LessonRef[]): string {
  return createHash('sha256')
    .update(lessons.map((lesson) => `${lesson.slug}:${lesson.day}`).join('\n'))
    .digest('hex')
    .slice(0, 16)
}

const PLAN_KEY = 'lesson_plan'
const PAGE = 1000

/**
 * After lessons were added, removed or re-dayed, re-points every waiting lesson at the lesson that is
 * now next for its reader, at that lesson's time, and gives readers who had finished a lesson added
 * after their last one (if its day has not come yet for them). In pages of waiting rows; rows already
 * in a batch are left to the sender's own check. The new plan is recorded only once all of it is done,
 * so a crash midway means the next worker does it again (every step is safe to repeat).
 */
export async function replanLessonQueue(
  db: Db,
  course: CourseSettings,
  now: Date,
  logger: Logger,
): Promise<number> {
  const signature = lessonPlanSignature(course.lessons)
  if ((await readMeta(db, PLAN_KEY)) === signature) return 0
  let fixed = 0
  for (let after = 0; ; ) {
    const waiting = await listWaiting(db, 'lesson', { after, limit: PAGE })
    if (waiting.length === 0) break
    after = waiting.at(-1)!.id
    const enrolments = await readEnrolments(
      db,
      waiting.map((w) => w.subscriberId),
    )
    const wrong = waiting.filter((w) => {
      const e = enrolments.get(w.subscriberId)
      const progress = e && enrolmentProgress(e)
      return progress && nextLesson(course.lessons, progress.lastDay)?.slug !== w.item
    })
    if (wrong.length === 0) continue
    await db.transaction(async (tx) => {
      await dropWaitingByIds(
        tx,
        wrong.map((w) => w.id),
      )
      const planned = wrong.flatMap((w) => {
        const progress = enrolmentProgress(enrolments.get(w.subscriberId)!)!
        const next = planNextLesson(progress, course.lessons, course.schedule, now)
        return next
          ? [
              {
                subscriberId: w.subscriberId,
                kind: 'lesson' as const,
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
  fixed += await queueForFinishedReaders(db, course, now)
  await writeMeta(db, PLAN_KEY, signature)
  if (fixed > 0) logger.info({ fixed }, 'lesson plan changed: waiting lessons re-planned')
  return fixed
}

/**
 * Readers with nothing waiting (they finished the course) get a lesson added after their last one, if
 * its day has not come yet for them; someone who finished long ago is not brought back.
 */
async function queueForFinishedReaders(db: Db, course: CourseSettings, now: Date): Promise<number> {
  const lastDay = course.lessons.at(-1)?.day
  if (lastDay === undefined) return 0
  let queued = 0
  for (let after = 0; ; ) {
    const page = await listActiveBefore(db, lastDay, { after, limit: PAGE })
    if (page.length === 0) return queued
    after = page.at(-1)!.subscriber_id
    const busy = await withLessonUnderway(
      db,
      page.map((e) => e.subscriber_id),
    )
    const idle = page.filter((e) => {
      if (busy.has(e.subscriber_id)) return false
      const lesson = nextLesson(course.lessons, e.course_last_day)
      const anchor = e.course_anchor_date
      return lesson && anchor && daysBetween(localDate(now, e.timezone), addDays(anchor, lesson.day)) >= 0
    })
    queued += (await queueNextLessons(db, idle, course, now)).length
  }
}

/**
 * A tick task: re-plans once per lesson-plan change. The signature seen last is kept in memory so an
 * unchanged plan costs nothing; the database's record makes a change applied once, by one process.
 */
export function replanWhenLessonsChange(
  db: Db,
  course: () => Promise<CourseSettings>,
  logger: Logger,
): (now: Date) => Promise<void> {
  let seen: string | null = null
  return async (now) => {
    const current = await course()
    const signature = lessonPlanSignature(current.lessons)
    if (signature === seen) return
    await replanLessonQueue(db, current, now, logger)
    seen = signature
  }
}
