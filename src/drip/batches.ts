import { randomUUID } from 'node:crypto'
import type { Queryable } from '../db/db'
import type { SubscriberStatus } from '../subscribers/store'
import type { DeliveryKind } from './queue'

export interface Batch {
  id: number
  idempotency_key: string
  attempts: number
  attempted_at: Date | null
  /** Emails in the first provider call (null before it). */
  first_size: number | null
}

/** A claimed delivery with what is needed to decide about it and to write the email. */
export interface Member {
  id: number
  kind: DeliveryKind
  item: string
  created_at: Date
  subscriber_id: number
  email: string
  name: string | null
  timezone: string
  status: SubscriberStatus
  newsletter_opt_in: boolean
  course_paused: boolean
  course_anchor_date: string | null
  course_last_day: number | null
  course_last_sent_on: string | null
  confirmation_sent_at: Date | null
  /** When this person's next lesson is due, if one is waiting (for NEWSLETTER_SKIP_COURSE_DAY). */
  next_lesson_due: Date | null
}

/** Which deliveries a claim may take: all due ones, one newsletter issue's, or exactly these ids. */
export type ClaimFilter = { kind: DeliveryKind; item: string } | { ids: readonly number[] } | null

/** What `claimNewBatch` needs to know. */
export interface ClaimOptions {
  workerId: string
  /** Scheduling time: what counts as due (`run-due --at` moves it). */
  now: Date
  /** Real time, for the lease: another worker must not take the batch over early or late. */
  realNow?: Date
  leaseMs: number
  limit: number
  filter: ClaimFilter
}

/**
 * The one statement `claimNewBatch` runs, with its values (a fresh idempotency key each call).
 * Exported so the storage tests can EXPLAIN exactly this statement: it must reach due rows through
 * the partial index `deliveries_due`, never by scanning the whole queue.
 */
export function claimBatchStatement(options: ClaimOptions): { text: string; values: unknown[] } {
  const { workerId, now, leaseMs, limit, filter } = options
  const realNow = options.realNow ?? now
  const where = !filter ? '' : 'ids' in filter ? 'and id = any($7::bigint[])' : 'and kind = $7 and item = $8'
  const extra = !filter ? [] : 'ids' in filter ? [filter.ids] : [filter.kind, filter.item]
  // One statement: the rows, the batch (only if there are rows) and the membership commit together.
  return {
    text: `with picked as (
       select id from deliveries
       where status = 'queued' and due_at <= $1 ${where}
       order by due_at, id
       limit $2
       for update skip locked
     ), batch as (
       insert into send_batches (idempotency_key, created_by, locked_by, lease_until, created_at)
       select $3, $4, $4, $5, $6 where exists (select 1 from picked)
       returning id, idempotency_key, attempts, attempted_at, first_size
     ), claimed as (
       update deliveries d set status = 'claimed', batch_id = (select id from batch), updated_at = $6
       from picked where d.id = picked.id
       returning d.id
     )
     select batch.*, (select count(*) from claimed)::int as members from batch`,
    values: [
      now,
      limit,
      `course-${randomUUID()}`,
      workerId,
      new Date(realNow.getTime() + leaseMs),
      realNow,
      ...extra,
    ],
  }
}

/**
 * Claims up to `limit` due deliveries into a new batch: the batch row (with a fresh idempotency key
 * and the lease) and the membership are written before any provider call.
 * `for update skip locked` lets any number of workers claim side by side without waiting or
 * overlapping. Returns null when nothing is due.
 */
export async function claimNewBatch(db: Queryable, options: ClaimOptions): Promise<Batch | null> {
  const { text, values } = claimBatchStatement(options)
  const { rows } = await db.query<Batch>(text, values)
  return rows[0] ?? null
}

/**
 * Takes over one open batch whose lease ran out: its worker died mid-send, or its retry time came.
 * The batch keeps its key and members, so the provider sees the same request again.
 */
export async function reclaimBatch(
  q: Queryable,
  options: { workerId: string; now: Date; leaseMs: number },
): Promise<Batch | null> {
  const { rows } = await q.query<Batch>(
    `update send_batches b set locked_by = $1, lease_until = $3
     where b.id = (
       select id from send_batches where completed_at is null and lease_until <= $2
       order by lease_until, id limit 1 for update skip locked
     )
     returning id, idempotency_key, attempts, attempted_at, first_size`,
    [options.workerId, options.now, new Date(options.now.getTime() + options.leaseMs)],
  )
  return rows[0] ?? null
}

/** The batch's claimed members, with their subscriber's current state (checked again right before sending). */
export async function loadMembers(q: Queryable, batchId: number): Promise<Member[]> {
  const { rows } = await q.query<Member>(
    `select d.id, d.kind, d.item, d.created_at, s.id as subscriber_id, s.email, s.name, s.timezone, s.status,
            s.newsletter_opt_in, s.course_paused, s.course_anchor_date, s.course_last_day, s.course_last_sent_on,
            s.confirmation_sent_at,
            (select min(l.due_at) from deliveries l
             where l.subscriber_id = s.id and l.kind = 'lesson' and l.status in ('queued', 'claimed')) as next_lesson_due
     from deliveries d join subscribers s on s.id = d.subscriber_id
     where d.batch_id = $1 and d.status = 'claimed'
     order by d.id`,
    [batchId],
  )
  return rows
}

/** Marks the first call to the provider: from now on a retry must be the same request. */
export async function markAttempted(q: Queryable, batchId: number, now: Date, size: number): Promise<void> {
  await q.query(
    'update send_batches set attempted_at = coalesce(attempted_at, $2), first_size = coalesce(first_size, $3) where id = $1',
    [batchId, now, size],
  )
}

export async function completeBatch(q: Queryable, batchId: number, now: Date): Promise<void> {
  await q.query('update send_batches set completed_at = $2, locked_by = null where id = $1', [batchId, now])
}

/** Hands the batch back for a later retry (or to whoever runs when the pause ends). */
export async function releaseBatch(
  q: Queryable,
  batchId: number,
  options: { retryAt: Date; error: string; countAttempt: boolean },
): Promise<void> {
  await q.query(
    `update send_batches set locked_by = null, lease_until = $2, last_error = $3,
       attempts = attempts + (case when $4 then 1 else 0 end)
     where id = $1`,
    [batchId, options.retryAt, options.error, options.countAttempt],
  )
}
