import type { Queryable } from '../db/db'
import { emitEvents } from '../events/store'
import { type Enrolment, type EnrolmentEventRow, type EnrolmentStatus, enrolmentEvent } from './enrolment'

/**
 * Enrolments: where each reader is in each course (the `enrolments` table; every statement on it is
 * here). An enrolment waits for consent (`pending`), runs (`active`), is `paused`, was `left`, or is
 * `completed`; a restart begins another round from day 0.
 */

export { type Enrolment, type EnrolmentStatus, enrolmentProgress, isActive } from './enrolment'

/** An enrolment is read with its reader's zone and status: the one read of `subscribers` here. */
const SELECT = `select e.id, e.subscriber_id, e.course, e.status, e.round, e.anchor_date, e.last_day, e.last_sent_on,
    e.paused_at, e.completed_at, e.left_at, e.source, e.asked_next, e.created_at, s.timezone, s.status as subscriber_status
  from enrolments e join subscribers s on s.id = e.subscriber_id`

/**
 * The enrolments of these readers (all their courses, or one course), oldest first. `forUpdate` locks
 * the enrolments; `lockReaders` locks the readers' rows too, so that two workers deciding lessons of
 * one reader's two courses take turns (the per-day limit counts what the other decided).
 */
export async function readEnrolments(
  q: Queryable,
  subscriberIds: readonly number[],
  options: { course?: string; forUpdate?: boolean; lockReaders?: boolean } = {},
): Promise<Enrolment[]> {
  if (subscriberIds.length === 0) return []
  const lock = options.lockReaders ? ' for update of e, s' : options.forUpdate ? ' for update of e' : ''
  const { rows } = await q.query<Enrolment>(
    `${SELECT} where e.subscriber_id = any($1::bigint[]) and ($2::text is null or e.course = $2)
     order by e.subscriber_id, e.id${lock}`,
    [subscriberIds, options.course ?? null],
  )
  return rows
}

/** One reader's enrolment in one course, if any. */
export async function findEnrolment(
  q: Queryable,
  subscriberId: number,
  course: string,
  forUpdate = false,
): Promise<Enrolment | undefined> {
  return (await readEnrolments(q, [subscriberId], { course, forUpdate }))[0]
}

/** Enrolments of one course still before `beforeDay` (active, or completed before a later lesson was added), by id. */
export async function listUnfinished(
  q: Queryable,
  course: string,
  beforeDay: number,
  page: { after: number; limit: number },
): Promise<Enrolment[]> {
  const { rows } = await q.query<Enrolment>(
    `${SELECT} where e.course = $1 and e.id > $2 and e.status in ('active', 'completed') and s.status = 'confirmed'
       and e.anchor_date is not null and coalesce(e.last_day, -1) < $3
     order by e.id limit $4`,
    [course, page.after, beforeDay, page.limit],
  )
  return rows
}

/**
 * Adds enrolments (a reader asks for a course); one a reader already has is left as it is. Returns
 * those added.
 */
export async function addEnrolments(
  q: Queryable,
  rows: readonly { subscriberId: number; course: string; status: 'pending' | 'active'; source: string }[],
  now: Date,
): Promise<number[]> {
  if (rows.length === 0) return []
  const { rows: added } = await q.query<{ id: number }>(
    `insert into enrolments (subscriber_id, course, status, source, created_at, updated_at)
     select v.subscriber_id, v.course, v.status, v.source, $5, $5
     from unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) as v(subscriber_id, course, status, source)
     on conflict (subscriber_id, course) do nothing
     returning id`,
    [
      rows.map((r) => r.subscriberId),
      rows.map((r) => r.course),
      rows.map((r) => r.status),
      rows.map((r) => r.source),
      now,
    ],
  )
  return added.map((row) => row.id)
}

/**
 * Starts enrolments from day 0 on the given local date (a new start keeps the round; a restart passes
 * the next one): active, no lesson handled yet.
 */
export async function startEnrolments(
  q: Queryable,
  starts: readonly { id: number; anchorDate: string; round?: number }[],
  now: Date,
): Promise<void> {
  if (starts.length === 0) return
  const { rows } = await q.query<EnrolmentEventRow>(
    `with started as (
       update enrolments e set status = 'active', anchor_date = v.anchor::date, last_day = null, last_sent_on = null,
         asked_next = null, round = coalesce(v.round, e.round), completed_at = null, paused_at = null, left_at = null,
         updated_at = $4
       from unnest($1::bigint[], $2::text[], $3::int[]) as v(id, anchor, round) where e.id = v.id
       returning e.id, e.subscriber_id, e.course, e.round, e.anchor_date
     )
     select started.*, s.email from started join subscribers s on s.id = started.subscriber_id`,
    [starts.map((s) => s.id), starts.map((s) => s.anchorDate), starts.map((s) => s.round ?? null), now],
  )
  await emitEvents(
    q,
    rows.map((row) => enrolmentEvent('enrolment.started', row)),
    now,
  )
}

/**
 * Moves an enrolment to a status (pause, resume, leave, come back), with the time of a pause or a
 * leave, and a new day 0 when it is given (the rest keeps its spacing after days away).
 */
export async function setEnrolmentStatus(
  q: Queryable,
  id: number,
  status: EnrolmentStatus,
  now: Date,
  anchorDate?: string,
): Promise<void> {
  const { rows } = await q.query<EnrolmentEventRow & { was: EnrolmentStatus }>(
    `with before as (select id, status as was from enrolments where id = $1),
     changed as (
       update enrolments set status = $2,
         paused_at = case when $2 = 'paused' then $3::timestamptz else null end,
         left_at = case when $2 = 'left' then $3::timestamptz else null end,
         anchor_date = coalesce($4::date, anchor_date), updated_at = $3
       where id = $1
       returning id, subscriber_id, course, round, anchor_date
     )
     select changed.*, before.was, s.email from changed join before using (id)
     join subscribers s on s.id = changed.subscriber_id`,
    [id, status, now, anchorDate ?? null],
  )
  const row = rows[0]
  if (row && status === 'left' && row.was !== 'left')
    await emitEvents(q, [enrolmentEvent('enrolment.left', row)], now)
}

/** Moves an enrolment's day 0 (back after days away: the rest keeps its spacing). */
export async function moveAnchor(q: Queryable, id: number, anchorDate: string, now: Date): Promise<void> {
  await q.query('update enrolments set anchor_date = $2::date, updated_at = $3 where id = $1', [
    id,
    anchorDate,
    now,
  ])
}

/**
 * Records that the reader asked for `slug` now, and moves day 0 so that it falls on `anchorDate`:
 * the rest of the course keeps its spacing from the lesson they asked for.
 */
export async function markAskedNext(
  q: Queryable,
  id: number,
  slug: string,
  anchorDate: string,
  now: Date,
): Promise<void> {
  await q.query(
    'update enrolments set asked_next = $2, anchor_date = $3::date, updated_at = $4 where id = $1',
    [id, slug, anchorDate, now],
  )
}

/** Where an enrolment is after a lesson was handled: its day, the date one was last sent, whether done. */
export interface Advance {
  id: number
  lastDay: number | null
  lastSentOn: string | null
  completed: boolean
}

/**
 * Writes the progress of several enrolments in one statement. A finished course becomes `completed`;
 * one that was reopened by a lesson added later (completed, now with something to send) is active again.
 */
export async function saveAdvances(q: Queryable, advances: readonly Advance[], now: Date): Promise<void> {
  if (advances.length === 0) return
  const { rows } = await q.query<EnrolmentEventRow>(
    `with before as (
       select id, completed_at is null as open from enrolments where id = any($1::bigint[])
     ),
     saved as (
       update enrolments e set last_day = v.last_day, last_sent_on = v.last_sent_on::date,
         completed_at = case when v.completed then coalesce(e.completed_at, $5::timestamptz) else null end,
         status = case when v.completed and e.status = 'active' then 'completed'
                       when not v.completed and e.status = 'completed' then 'active' else e.status end,
         updated_at = $5
       from unnest($1::bigint[], $2::int[], $3::text[], $4::boolean[]) as v(id, last_day, last_sent_on, completed)
       where e.id = v.id
       returning e.id, e.subscriber_id, e.course, e.round, e.anchor_date, e.completed_at
     )
     select saved.id, saved.subscriber_id, saved.course, saved.round, saved.anchor_date, s.email
     from saved join before using (id) join subscribers s on s.id = saved.subscriber_id
     where before.open and saved.completed_at is not null`,
    [
      advances.map((a) => a.id),
      advances.map((a) => a.lastDay),
      advances.map((a) => a.lastSentOn),
      advances.map((a) => a.completed),
      now,
    ],
  )
  // Those who finished just now.
  await emitEvents(
    q,
    rows.map((row) => enrolmentEvent('enrolment.completed', row)),
    now,
  )
}

/** Reopens completed enrolments that get a lesson added after they finished (the replan's doing). */
export async function reopenCompleted(q: Queryable, ids: readonly number[], now: Date): Promise<void> {
  if (ids.length === 0) return
  await q.query(
    `update enrolments set status = 'active', completed_at = null, updated_at = $2
     where id = any($1::bigint[]) and status = 'completed'`,
    [ids, now],
  )
}

/** Enrolments by course and status (every course and status present that has any). */
export async function countEnrolments(
  q: Queryable,
): Promise<{ course: string; status: EnrolmentStatus; n: number }[]> {
  const { rows } = await q.query<{ course: string; status: EnrolmentStatus; n: number }>(
    'select course, status, count(*)::int as n from enrolments group by 1, 2 order by 1, 2',
  )
  return rows
}

/** The ends of each course's funnel: everyone enrolled, those who started, those who finished. */
export async function countFunnelEnds(
  q: Queryable,
): Promise<Map<string, { enrolled: number; started: number; completed: number }>> {
  const { rows } = await q.query<{ course: string; enrolled: number; started: number; completed: number }>(
    `select course, count(*)::int as enrolled, count(anchor_date)::int as started,
            count(completed_at)::int as completed
     from enrolments group by course`,
  )
  return new Map(
    rows.map((row) => [
      row.course,
      { enrolled: row.enrolled, started: row.started, completed: row.completed },
    ]),
  )
}

/**
 * Each reader's courses as one line for the export: `course:status` for each enrolment, by course
 * (for instance `avoiding-smp-regrets:completed;aftercare-basics:active`).
 */
export async function courseSummaries(
  q: Queryable,
  subscriberIds: readonly number[],
): Promise<Map<number, string>> {
  if (subscriberIds.length === 0) return new Map()
  const { rows } = await q.query<{ subscriber_id: number; courses: string }>(
    `select subscriber_id, string_agg(course || ':' || status, ';' order by course) as courses
     from enrolments where subscriber_id = any($1::bigint[]) group by subscriber_id`,
    [subscriberIds],
  )
  return new Map(rows.map((row) => [Number(row.subscriber_id), row.courses]))
}
