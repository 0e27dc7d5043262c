import type { CourseSettings } from '../../src/course/lessons'
import { lessonPlanSignature } from '../../src/course/replan'
import type { Db } from '../../src/db/db'

/** Rows per statement: big enough to be quick, small enough to keep each transaction short. */
const CHUNK = 100_000
/** Waiting lessons are spread over the coming four weeks, one minute apart at most. */
const SPREAD_MINUTES = 28 * 24 * 60

/**
 * A realistic list and queue, set-based: `size` confirmed readers spread over the course (reader n is
 * at lesson n mod count), each with their next lesson queued somewhere in the coming four weeks, so
 * the partial index `deliveries_due` holds one row per reader and nothing is due yet.
 * The lesson plan's signature is recorded as the running system would have, so the first tick does
 * not re-plan the whole queue (a one-off after a content change, not part of a tick's cost).
 */
export async function seedList(
  db: Db,
  options: {
    size: number
    course: Pick<CourseSettings, 'slug' | 'lessons'>
    now: Date
    onChunk?: (done: number) => void
  },
): Promise<void> {
  const { size, course, now } = options
  const { lessons } = course
  const slugs = lessons.map((lesson) => lesson.slug)
  // last_day of a reader at position p is the day of lesson p - 1 (none before the first lesson).
  const lastDays = lessons.map((_, p) => (p === 0 ? null : lessons[p - 1]!.day))
  const today = now.toISOString().slice(0, 10)
  for (let from = 1; from <= size; from += CHUNK) {
    const to = Math.min(size, from + CHUNK - 1)
    await db.query(
      `with s as (
         insert into subscribers (email, email_key, name, timezone, status, confirmed_at, consent_at, consent_source,
           created_at, updated_at)
         select 'reader' || n || '@example.org', 'reader' || n || '@example.org', 'Reader ' || n, 'UTC', 'confirmed',
           $1, $1, 'bench', $1, $1
         from generate_series($5::int, $6::int) as n
         returning id
       ), e as (
         insert into enrolments (subscriber_id, course, status, anchor_date, last_day, created_at, updated_at)
         select id, $9, 'active', $2::date, ($3::int[])[1 + id % $4], $1, $1 from s
         returning subscriber_id
       )
       insert into deliveries (subscriber_id, kind, course, item, status, due_at, created_at, updated_at)
       select subscriber_id, 'lesson', $9, ($7::text[])[1 + subscriber_id % $4], 'queued',
         $1 + interval '1 hour' + ((subscriber_id * 7919) % $8) * interval '1 minute', $1, $1
       from e`,
      [now, today, lastDays, lessons.length, from, to, slugs, SPREAD_MINUTES, course.slug],
    )
    options.onChunk?.(to)
  }
  await db.query(
    `insert into meta (key, value) values ('lesson_plan', $1)
     on conflict (key) do update set value = excluded.value`,
    [lessonPlanSignature([course])],
  )
  // The steady state of a list that grew over months: vacuumed and analysed (else autovacuum may
  // start on the new rows in the middle of the timed ticks), and the new pages written out so that a
  // checkpoint does not either. CHECKPOINT needs a privileged role on PostgreSQL: skipped without one.
  // One statement each: VACUUM refuses to run in the implicit transaction of a multi-statement string.
  for (const table of ['subscribers', 'enrolments', 'deliveries']) await db.exec(`vacuum analyze ${table}`)
  if (db.engine === 'postgres') await db.exec('checkpoint').catch(() => {})
}

/**
 * Makes exactly `count` waiting lessons due now: those of readers `first` … `first + count - 1`
 * (found through the unique (subscriber_id, kind, item) index, so this costs the same at any size).
 */
export async function makeDue(db: Db, options: { first: number; count: number; at: Date }): Promise<number> {
  const { rowCount } = await db.query(
    `update deliveries set due_at = $3
     where subscriber_id between $1 and $2 and kind = 'lesson' and status = 'queued'`,
    [options.first, options.first + options.count - 1, options.at],
  )
  return rowCount
}

/** Whether the claim reads the partial index (a tick must not scan the list). */
export async function claimUsesDueIndex(db: Db, now: Date): Promise<string> {
  const { rows } = await db.query<{ 'QUERY PLAN': string }>(
    `explain select id from deliveries where status = 'queued' and due_at <= $1
     order by due_at, id limit 100 for update skip locked`,
    [now],
  )
  const plan = rows.map((row) => row['QUERY PLAN']).join('\n')
  return plan.includes('deliveries_due') ? 'claim reads the deliveries_due index' : `claim plan: ${plan}`
}
