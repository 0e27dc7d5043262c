import { createHash } from 'node:crypto'
import type { Db, Queryable } from '../db/db'
import type { Logger } from '../lib/logger'
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
import { ON_CONFLICT_REQUEUE } from './queue'

/** Identifies the lesson plan (slugs and days); text edits do not change it. */
export function lessonPlanSignature(lessons: readonly LessonRef[]): string {
  return createHash('sha256')
    .update(lessons.map((lesson) => `${lesson.slug}:${lesson.day}`).join('\n'))
    .digest('hex')
    .slice(0, 16)
}

const PAGE = 1000

interface ProgressRow {
  subscriber_id: number
  timezone: string
  course_anchor_date: string
  course_last_day: number | null
  course_last_sent_on: string | null
}

const progressOfRow = (row: ProgressRow): CourseProgress => ({
  timezone: row.timezone,
  anchorDate: row.course_anchor_date,
  lastDay: row.course_last_day,
  lastSentOn: row.course_last_sent_on,
})

/** Queues these lessons (one per subscriber) in one statement. */
async function queueLessons(
  db: Queryable,
  planned: { subscriberId: number; slug: string; dueAt: Date }[],
  now: Date,
): Promise<number> {
  if (planned.length === 0) return 0
  const { rowCount } = await db.query(
    `insert into deliveries (subscriber_id, kind, item, status, due_at, created_at, updated_at)
     select v.id, 'lesson', v.slug, 'queued', v.due_at, $4, $4
     from unnest($1::bigint[], $2::text[], $3::timestamptz[]) as v(id, slug, due_at)
     ${ON_CONFLICT_REQUEUE}`,
    [planned.map((p) => p.subscriberId), planned.map((p) => p.slug), planned.map((p) => p.dueAt), now],
  )
  return rowCount
}

/**
 * After lessons were added, removed or re-dayed, re-points every waiting lesson delivery at the lesson
 * that is now next for its subscriber, at that lesson's time, and gives readers who had finished a
 * lesson added after their last one (if its day has not come yet for them). Set-based, in pages of
 * waiting rows; rows already in a batch are left to the sender's own check. The new plan is recorded
 * only once all of it is done, so a crash midway means the next worker does it again (every step
 * is safe to repeat).
 */
export async function reconcileLessonQueue(
  db: Db,
  lessons: readonly LessonRef[],
  schedule: ScheduleSettings,
  now: Date,
  logger: Logger,
): Promise<number> {
  const signature = lessonPlanSignature(lessons)
  const { rows: done } = await db.query(`select 1 from meta where key = 'lesson_plan' and value = $1`, [
    signature,
  ])
  if (done.length > 0) return 0
  const slugs = lessons.map((lesson) => lesson.slug)
  const days = lessons.map((lesson) => lesson.day)
  let fixed = 0
  for (let after = 0; ; ) {
    const { rows } = await db.query<ProgressRow & { id: number; item: string; want: string | null }>(
      `with plan as (select * from unnest($1::text[], $2::int[]) as l(slug, day))
       select d.id, d.subscriber_id, d.item, s.timezone, s.course_anchor_date, s.course_last_day, s.course_last_sent_on,
              (select p.slug from plan p where p.day > coalesce(s.course_last_day, -1) order by p.day limit 1) as want
       from deliveries d join subscribers s on s.id = d.subscriber_id
       where d.kind = 'lesson' and d.status = 'queued' and d.batch_id is null and s.course_anchor_date is not null and d.id > $3
       order by d.id limit $4`,
      [slugs, days, after, PAGE],
    )
    if (rows.length === 0) break
    after = rows.at(-1)!.id
    const wrong = rows.filter((row) => row.want !== row.item)
    if (wrong.length === 0) continue
    await db.transaction(async (tx) => {
      await tx.query(
        `delete from deliveries where id = any($1::bigint[]) and status = 'queued' and batch_id is null`,
        [wrong.map((r) => r.id)],
      )
      const planned = wrong.flatMap((row) => {
        const lesson = lessons.find((l) => l.slug === row.want)
        return lesson
          ? [
              {
                subscriberId: row.subscriber_id,
                slug: lesson.slug,
                dueAt: lessonDueAt(progressOfRow(row), lesson, schedule, now),
              },
            ]
          : []
      })
      await queueLessons(tx, planned, now)
    })
    fixed += wrong.length
  }
  fixed += await queueForFinishedReaders(db, lessons, schedule, now)
  await db.query(
    `insert into meta (key, value) values ('lesson_plan', $1) on conflict (key) do update set value = excluded.value`,
    [signature],
  )
  if (fixed > 0) logger.info({ fixed }, 'lesson plan changed: waiting lessons re-planned')
  return fixed
}

/**
 * Readers with nothing waiting (they finished the course) get a lesson added after their last one,
 * if its day has not come yet for them; someone who finished long ago is not brought back.
 */
async function queueForFinishedReaders(
  db: Db,
  lessons: readonly LessonRef[],
  schedule: ScheduleSettings,
  now: Date,
): Promise<number> {
  const lastDay = lessons.at(-1)?.day
  if (lastDay === undefined) return 0
  let queued = 0
  for (let after = 0; ; ) {
    const { rows } = await db.query<ProgressRow>(
      `select s.id as subscriber_id, s.timezone, s.course_anchor_date, s.course_last_day, s.course_last_sent_on from subscribers s
       where s.id > $1 and s.status = 'confirmed' and not s.course_paused and s.course_anchor_date is not null
         and coalesce(s.course_last_day, -1) < $2
         and not exists (select 1 from deliveries d where d.subscriber_id = s.id and d.kind = 'lesson' and d.status in ('queued', 'claimed'))
       order by s.id limit $3`,
      [after, lastDay, PAGE],
    )
    if (rows.length === 0) return queued
    after = rows.at(-1)!.subscriber_id
    const planned = rows.flatMap((row) => {
      const lesson = nextLesson(lessons, row.course_last_day)
      if (
        !lesson ||
        daysBetween(localDate(now, row.timezone), addDays(row.course_anchor_date, lesson.day)) < 0
      )
        return []
      return [
        {
          subscriberId: row.subscriber_id,
          slug: lesson.slug,
          dueAt: lessonDueAt(progressOfRow(row), lesson, schedule, now),
        },
      ]
    })
    queued += await queueLessons(db, planned, now)
  }
}
