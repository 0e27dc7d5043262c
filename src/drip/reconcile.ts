import { createHash } from 'node:crypto'
import type { Db } from '../db/db'
import type { Logger } from '../lib/logger'
import {
  addDays,
  daysBetween,
  type LessonRef,
  lessonDueAt,
  localDate,
  nextLesson,
  type ScheduleSettings,
} from './plan'
import { enqueueDelivery } from './queue'

/** Identifies the lesson plan (slugs and days); text edits do not change it. */
export function lessonPlanSignature(lessons: readonly LessonRef[]): string {
  return createHash('sha256')
    .update(lessons.map((lesson) => `${lesson.slug}:${lesson.day}`).join('\n'))
    .digest('hex')
    .slice(0, 16)
}

interface Misplanned {
  id: number
  subscriber_id: number
  item: string
  want: string | null
  timezone: string
  course_anchor_date: string
  course_last_day: number | null
  course_last_sent_on: string | null
}

/**
 * After lessons were added, removed or re-dayed, re-points every waiting lesson delivery at the lesson
 * that is now next for its subscriber, at that lesson's time. Runs once per plan change (the first
 * process to record the new signature does it), in pages, touching only rows that are wrong.
 * Rows already in a batch are left alone: the sender checks them before sending.
 */
export async function reconcileLessonQueue(
  db: Db,
  lessons: readonly LessonRef[],
  schedule: ScheduleSettings,
  now: Date,
  logger: Logger,
): Promise<number> {
  const signature = lessonPlanSignature(lessons)
  const { rowCount } = await db.query(
    `insert into meta (key, value) values ('lesson_plan', $1)
     on conflict (key) do update set value = excluded.value where meta.value <> excluded.value`,
    [signature],
  )
  if (rowCount === 0) return 0
  const slugs = lessons.map((lesson) => lesson.slug)
  const days = lessons.map((lesson) => lesson.day)
  let fixed = 0
  for (;;) {
    const { rows } = await db.query<Misplanned>(
      `with plan as (select * from unnest($1::text[], $2::int[]) as l(slug, day))
       select * from (
         select d.id, d.subscriber_id, d.item, s.timezone, s.course_anchor_date, s.course_last_day, s.course_last_sent_on,
                (select p.slug from plan p where p.day > coalesce(s.course_last_day, -1) order by p.day limit 1) as want
         from deliveries d join subscribers s on s.id = d.subscriber_id
         where d.kind = 'lesson' and d.status = 'queued' and d.batch_id is null and s.course_anchor_date is not null
       ) q
       where want is distinct from item
       limit 500`,
      [slugs, days],
    )
    if (rows.length === 0) break
    await db.transaction(async (tx) => {
      for (const row of rows) {
        await tx.query(`delete from deliveries where id = $1 and status = 'queued' and batch_id is null`, [
          row.id,
        ])
        const lesson = lessons.find((l) => l.slug === row.want)
        if (!lesson) continue
        const progress = {
          timezone: row.timezone,
          anchorDate: row.course_anchor_date,
          lastDay: row.course_last_day,
          lastSentOn: row.course_last_sent_on,
        }
        const dueAt = lessonDueAt(progress, lesson, schedule, now)
        await enqueueDelivery(
          tx,
          { subscriberId: row.subscriber_id, kind: 'lesson', item: lesson.slug, dueAt },
          now,
        )
      }
    })
    fixed += rows.length
  }
  fixed += await queueForFinishedReaders(db, lessons, schedule, now)
  if (fixed > 0) logger.info({ fixed }, 'lesson plan changed: waiting lessons re-planned')
  return fixed
}

interface Idle {
  id: number
  timezone: string
  course_anchor_date: string
  course_last_day: number | null
  course_last_sent_on: string | null
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
    const { rows } = await db.query<Idle>(
      `select s.id, s.timezone, s.course_anchor_date, s.course_last_day, s.course_last_sent_on from subscribers s
       where s.id > $1 and s.status = 'confirmed' and not s.course_paused and s.course_anchor_date is not null
         and coalesce(s.course_last_day, -1) < $2
         and not exists (select 1 from deliveries d where d.subscriber_id = s.id and d.kind = 'lesson' and d.status in ('queued', 'claimed'))
       order by s.id limit 500`,
      [after, lastDay],
    )
    if (rows.length === 0) return queued
    after = rows.at(-1)!.id
    for (const row of rows) {
      const lesson = nextLesson(lessons, row.course_last_day)
      if (
        !lesson ||
        daysBetween(localDate(now, row.timezone), addDays(row.course_anchor_date, lesson.day)) < 0
      )
        continue
      const progress = {
        timezone: row.timezone,
        anchorDate: row.course_anchor_date,
        lastDay: row.course_last_day,
        lastSentOn: row.course_last_sent_on,
      }
      const dueAt = lessonDueAt(progress, lesson, schedule, now)
      if (
        (await enqueueDelivery(
          db,
          { subscriberId: row.id, kind: 'lesson', item: lesson.slug, dueAt },
          now,
        )) !== null
      )
        queued++
    }
  }
}
