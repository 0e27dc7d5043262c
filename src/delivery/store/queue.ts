import type { Queryable } from '../../db/db'
import type { DeliveryKind } from '../../db/rows'
import { refreshStatistics } from '../../db/statistics'

/**
 * The delivery queue's writes: putting emails in, taking waiting ones out, moving them. Every insert
 * into `deliveries` is here, in {@link queueEmails} or {@link queueForReaders}, with the one conflict
 * policy {@link ON_CONFLICT}; batches and provider signals have their own files in this folder.
 */

/** One email to put in the queue. */
export interface QueuedEmail {
  subscriberId: number
  kind: DeliveryKind
  /** The course a lesson, confirmation or invitation belongs to; null for a newsletter issue. */
  course: string | null
  /** A lesson's round of its course (a restart sends the lessons again, once per round); 1 otherwise. */
  round?: number
  /** The lesson or issue slug; null for a confirmation or invitation (every one asked for is its own). */
  item: string | null
  dueAt: Date
}

/**
 * The one conflict policy of every insert into the queue. The unique key on (subscriber, kind, course,
 * round, item) makes a second row for the same lesson or issue impossible; what it does on a conflict is
 * "queue again what never went out": a row that was skipped or cancelled (someone came back, a lesson
 * returned) is queued again, and a row that is waiting, in flight or sent stays as it is.
 */
const ON_CONFLICT = `on conflict (subscriber_id, kind, course, round, item) where item is not null do update
       set status = 'queued', due_at = excluded.due_at, batch_id = null, skip_reason = null,
           updated_at = excluded.updated_at
       where deliveries.status in ('skipped', 'cancelled')`

/**
 * Puts emails in the queue, in one statement whatever their number, under {@link ON_CONFLICT}.
 * Returns the rows queued (inserted or queued again), for `sendSoon`.
 */
export async function queueEmails(
  q: Queryable,
  emails: readonly QueuedEmail[],
  now: Date,
): Promise<{ id: number; subscriberId: number }[]> {
  if (emails.length === 0) return []
  const { rows } = await q.query<{ id: number; subscriber_id: number }>(
    `insert into deliveries (subscriber_id, kind, course, round, item, status, due_at, created_at, updated_at)
     select e.subscriber_id, e.kind, e.course, e.round, e.item, 'queued', e.due_at, $7, $7
     from unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[])
       as e(subscriber_id, kind, course, round, item, due_at)
     ${ON_CONFLICT}
     returning id, subscriber_id`,
    [
      emails.map((e) => e.subscriberId),
      emails.map((e) => e.kind),
      emails.map((e) => e.course),
      emails.map((e) => e.round ?? 1),
      emails.map((e) => e.item),
      emails.map((e) => e.dueAt),
      now,
    ],
  )
  return rows.map((row) => ({ id: row.id, subscriberId: row.subscriber_id }))
}

/**
 * Puts the same email (an issue) in the queue for each of these readers, in one statement, under
 * {@link ON_CONFLICT}, and returns how many were queued. What queueing a newsletter for a whole list
 * does page by page: only the readers' ids go to the database and one count comes back, where
 * {@link queueEmails} would send six values and get a row back per reader.
 */
export async function queueForReaders(
  q: Queryable,
  email: Omit<QueuedEmail, 'subscriberId'>,
  subscriberIds: readonly number[],
  now: Date,
): Promise<number> {
  if (subscriberIds.length === 0) return 0
  const { rows } = await q.query<{ n: number }>(
    `with queued as (
       insert into deliveries (subscriber_id, kind, course, round, item, status, due_at, created_at, updated_at)
       select r.id, $2::text, $3::text, $4::int, $5::text, 'queued', $6::timestamptz, $7::timestamptz, $7::timestamptz
       from unnest($1::bigint[]) as r(id)
       ${ON_CONFLICT}
       returning 1
     )
     select count(*)::int as n from queued`,
    [subscriberIds, email.kind, email.course, email.round ?? 1, email.item, email.dueAt, now],
  )
  return rows[0]?.n ?? 0
}

/**
 * Lets the query planner see what a bulk queueing added (an issue for a whole list). Without it the
 * claim of the batches plans with statistics from before, where the issue had no rows: on
 * PostgreSQL it then read all the waiting rows through `deliveries_item` and sorted them for
 * every batch of 100 (1.5 s a claim at a million readers, until autovacuum's next analyze, and none
 * where autovacuum is off); PGlite has no autovacuum at all. Samples a fixed number of rows, so it
 * costs well under a second at any size. A role that does not own the table gets a warning, not an
 * error.
 */
export async function refreshQueueStatistics(q: Queryable): Promise<void> {
  await refreshStatistics(q, ['deliveries'])
}

/**
 * Takes waiting emails of these kinds out of someone's queue (they left, paused, changed zone, turned
 * the newsletter off). Rows already handed to a provider stay: their retry must go out identical, or
 * the sender's own check stops it.
 */
export async function dropWaiting(
  q: Queryable,
  subscriberId: number,
  kinds: readonly DeliveryKind[],
  course?: string,
): Promise<number> {
  const { rowCount } = await q.query(
    `delete from deliveries
     where subscriber_id = $1 and kind = any($2::text[]) and ($3::text is null or course = $3)
       and status = 'queued' and batch_id is null`,
    [subscriberId, kinds, course ?? null],
  )
  return rowCount
}

/** Takes these waiting rows out, if they are still waiting (a re-plan replaces them). */
export async function dropWaitingByIds(q: Queryable, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0
  const { rowCount } = await q.query(
    `delete from deliveries where id = any($1::bigint[]) and status = 'queued' and batch_id is null`,
    [ids],
  )
  return rowCount
}

/**
 * The queue rows that count for the wait between asks (confirmations and invitations to start a
 * course): how many were queued for this person since `since`.
 */
export async function countAsksSince(q: Queryable, subscriberId: number, since: Date): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `select count(*)::int as n from deliveries
     where subscriber_id = $1 and kind in ('confirmation', 'invitation') and created_at >= $2`,
    [subscriberId, since],
  )
  return rows[0]?.n ?? 0
}

/** Whether an ask (confirmation or invitation) for this course still waits to go to this person. */
export async function hasWaitingAsk(q: Queryable, subscriberId: number, course: string): Promise<boolean> {
  const { rows } = await q.query(
    `select 1 from deliveries
     where subscriber_id = $1 and kind in ('confirmation', 'invitation') and course = $2 and status = 'queued'
     limit 1`,
    [subscriberId, course],
  )
  return rows.length > 0
}

/** Moves a waiting (never attempted) email to a new due time; false if it is no longer waiting. */
export async function moveWaitingDue(q: Queryable, id: number, dueAt: Date, now: Date): Promise<boolean> {
  const { rowCount } = await q.query(
    `update deliveries set due_at = $2, updated_at = $3 where id = $1 and status = 'queued' and batch_id is null`,
    [id, dueAt, now],
  )
  return rowCount > 0
}

/** Where a waiting lesson or issue of someone's is planned: its row id and due time. */
export interface WaitingEmail {
  id: number
  subscriberId: number
  course: string | null
  round: number
  item: string
  dueAt: Date
}

/**
 * Waiting (never attempted) emails of a kind, a page at a time by id: what a re-plan walks through.
 * `course` narrows it to one course's.
 */
export async function listWaiting(
  q: Queryable,
  kind: DeliveryKind,
  options: { after: number; limit: number; course?: string },
): Promise<WaitingEmail[]> {
  const { rows } = await q.query<{
    id: number
    subscriber_id: number
    course: string | null
    round: number
    item: string
    due_at: Date
  }>(
    `select id, subscriber_id, course, round, item, due_at from deliveries
     where kind = $1 and status = 'queued' and batch_id is null and id > $2
       and ($4::text is null or course = $4)
     order by id limit $3`,
    [kind, options.after, options.limit, options.course ?? null],
  )
  return rows.map((row) => ({
    id: row.id,
    subscriberId: row.subscriber_id,
    course: row.course,
    round: row.round,
    item: row.item,
    dueAt: row.due_at,
  }))
}

/** Which of these people have a lesson of this course waiting or in flight (their course is not idle). */
export async function withLessonUnderway(
  q: Queryable,
  course: string,
  subscriberIds: readonly number[],
): Promise<Set<number>> {
  if (subscriberIds.length === 0) return new Set()
  const { rows } = await q.query<{ subscriber_id: number }>(
    `select distinct subscriber_id from deliveries
     where subscriber_id = any($1::bigint[]) and kind = 'lesson' and course = $2 and status in ('queued', 'claimed')`,
    [subscriberIds, course],
  )
  return new Set(rows.map((row) => row.subscriber_id))
}
