import type { Queryable } from '../db/db'
import type { SubscriberStatus } from '../db/rows'
import { type CourseProgress, type ProgressColumns, progressOf } from './plan'

/**
 * Course progress, stored per reader: when their day 0 was, the last lesson handled, the local date of
 * the last one sent, a pause, completion. Every statement on that state is here. (It is kept in the
 * `course_*` columns of `subscribers` while an installation has one course; the enrolments of several
 * courses replace these columns without changing this file's functions.)
 */

/** A reader's course, with what decides whether lessons may go: their status and a pause. */
export interface Enrolment extends ProgressColumns {
  subscriber_id: number
  status: SubscriberStatus
  course_paused: boolean
  course_paused_at: Date | null
  course_completed_at: Date | null
}

const COLUMNS = `id as subscriber_id, timezone, status, course_anchor_date, course_last_day, course_last_sent_on,
  course_paused, course_paused_at, course_completed_at`

/** Whether lessons may be planned for this enrolment: confirmed, started and not paused. */
export function isActive(e: Enrolment): e is Enrolment & { course_anchor_date: string } {
  return e.status === 'confirmed' && !e.course_paused && e.course_anchor_date !== null
}

/** The progress of an enrolment, or null before it starts. */
export function enrolmentProgress(e: Enrolment): CourseProgress | null {
  return progressOf(e)
}

/** The enrolments of these readers, by reader id. */
export async function readEnrolments(
  q: Queryable,
  subscriberIds: readonly number[],
  forUpdate = false,
): Promise<Map<number, Enrolment>> {
  if (subscriberIds.length === 0) return new Map()
  const { rows } = await q.query<Enrolment>(
    `select ${COLUMNS} from subscribers where id = any($1::bigint[]) order by id${forUpdate ? ' for update' : ''}`,
    [subscriberIds],
  )
  return new Map(rows.map((row) => [row.subscriber_id, row]))
}

/** Active enrolments that have not reached `beforeDay`, a page at a time by reader id. */
export async function listActiveBefore(
  q: Queryable,
  beforeDay: number,
  page: { after: number; limit: number },
): Promise<Enrolment[]> {
  const { rows } = await q.query<Enrolment>(
    `select ${COLUMNS} from subscribers
     where id > $1 and status = 'confirmed' and not course_paused and course_anchor_date is not null
       and coalesce(course_last_day, -1) < $2
     order by id limit $3`,
    [page.after, beforeDay, page.limit],
  )
  return rows
}

/** Starts (or starts again) the course of each reader: day 0 on the given local date. */
export async function startEnrolments(
  q: Queryable,
  starts: readonly { subscriberId: number; anchorDate: string }[],
  now: Date,
): Promise<void> {
  if (starts.length === 0) return
  await q.query(
    `update subscribers s set course_anchor_date = v.anchor::date, course_last_day = null, course_last_sent_on = null,
       course_completed_at = null, course_paused = false, course_paused_at = null, updated_at = $3
     from unnest($1::bigint[], $2::text[]) as v(id, anchor) where s.id = v.id`,
    [starts.map((s) => s.subscriberId), starts.map((s) => s.anchorDate), now],
  )
}

/** Pauses or resumes one reader's course; a resume also moves day 0 (see lessons.ts). */
export async function setPaused(
  q: Queryable,
  subscriberId: number,
  change: { paused: boolean; anchorDate?: string },
  now: Date,
): Promise<void> {
  await q.query(
    `update subscribers set course_paused = $2, course_paused_at = case when $2 then $3::timestamptz else null end,
       course_anchor_date = coalesce($4::date, course_anchor_date), updated_at = $3
     where id = $1`,
    [subscriberId, change.paused, now, change.anchorDate ?? null],
  )
}

/** Moves a reader's day 0 (back from a pause or an unsubscribe: the rest keeps its spacing). */
export async function moveAnchor(
  q: Queryable,
  subscriberId: number,
  anchorDate: string,
  now: Date,
): Promise<void> {
  await q.query('update subscribers set course_anchor_date = $2::date, updated_at = $3 where id = $1', [
    subscriberId,
    anchorDate,
    now,
  ])
}

/** Where each reader is after a lesson was handled: its day, the date one was last sent, whether done. */
export interface Advance {
  subscriberId: number
  lastDay: number | null
  lastSentOn: string | null
  completed: boolean
}

/** Writes the progress of several readers in one statement. */
export async function saveAdvances(q: Queryable, advances: readonly Advance[], now: Date): Promise<void> {
  if (advances.length === 0) return
  await q.query(
    `update subscribers s set course_last_day = v.last_day, course_last_sent_on = v.last_sent_on::date,
       course_completed_at = case when v.completed then $5::timestamptz else null end, updated_at = $5
     from unnest($1::bigint[], $2::int[], $3::text[], $4::boolean[]) as v(id, last_day, last_sent_on, completed)
     where s.id = v.id`,
    [
      advances.map((a) => a.subscriberId),
      advances.map((a) => a.lastDay),
      advances.map((a) => a.lastSentOn),
      advances.map((a) => a.completed),
      now,
    ],
  )
}

/** How many readers finished the course (the last step of the funnel). */
export async function countCompleted(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    'select count(course_completed_at)::int as n from subscribers',
  )
  return rows[0]?.n ?? 0
}

/** Readers by status and whether their course is paused (for `course status`). */
export async function countByStatusAndPause(
  q: Queryable,
): Promise<{ status: SubscriberStatus; paused: boolean; n: number }[]> {
  const { rows } = await q.query<{ status: SubscriberStatus; paused: boolean; n: number }>(
    'select status, course_paused as paused, count(*)::int as n from subscribers group by 1, 2 order by 1, 2',
  )
  return rows
}
