import { randomUUID } from 'node:crypto'
import type { Queryable } from '../../db/db'
import type { DeliveryKind, SubscriberStatus } from '../../db/rows'

/**
 * The statements of a batch's life: claim (or take over), read its members, mark the first provider
 * call, and settle. A batch is the unit of one provider call and of claiming; its membership
 * (deliveries.batch_id) is written before the call, so a worker that takes over after a crash re-sends
 * the same emails under the same idempotency key.
 */

export interface Batch {
  id: number
  idempotency_key: string
  attempts: number
  attempted_at: Date | null
  /** Emails in the first provider call (null before it). */
  first_size: number | null
}

/** A claimed delivery, with its recipient as they are now (checked again right before sending). */
export interface Member {
  id: number
  kind: DeliveryKind
  /** The course of a lesson, confirmation or invitation; null for a newsletter issue. */
  course: string | null
  /** A lesson's round of its course. */
  round: number
  /** The lesson or issue slug; null for a confirmation or invitation. */
  item: string | null
  created_at: Date
  subscriber_id: number
  email: string
  name: string | null
  timezone: string
  status: SubscriberStatus
  newsletter_opt_in: boolean
}

/** Which deliveries a claim may take: all due ones, one newsletter issue's, or exactly these ids. */
export type ClaimFilter = { kind: 'newsletter'; item: string } | { ids: readonly number[] } | null

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

/** A batch just claimed, and how many deliveries the claim took. */
export interface ClaimedBatch extends Batch {
  members: number
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
export async function claimNewBatch(db: Queryable, options: ClaimOptions): Promise<ClaimedBatch | null> {
  const { text, values } = claimBatchStatement(options)
  const { rows } = await db.query<ClaimedBatch>(text, values)
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

/**
 * The batch's claimed members with their recipient as they are now. The one read of `subscribers`
 * in this folder: who to write to, and whether they still want mail, belong with the email.
 */
export async function loadMembers(q: Queryable, batchId: number): Promise<Member[]> {
  const { rows } = await q.query<Member>(
    `select d.id, d.kind, d.course, d.round, d.item, d.created_at, s.id as subscriber_id, s.email, s.name, s.timezone, s.status,
            s.newsletter_opt_in
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

/** A member taken out of its batch before the call, and how. */
export type Removal =
  | { id: number; how: 'skip' | 'cancel'; reason: string }
  | { id: number; how: 'drop' }
  | { id: number; how: 'postpone'; until: Date }

/**
 * Takes members out of the batch before the call: skipped or cancelled rows keep their reason,
 * dropped rows are deleted (planned again later), postponed ones wait in the queue again.
 */
export async function removeFromBatch(q: Queryable, removals: readonly Removal[], now: Date): Promise<void> {
  const closed = removals.filter((r) => r.how === 'skip' || r.how === 'cancel')
  if (closed.length > 0)
    await q.query(
      `update deliveries d set status = case when v.how = 'skip' then 'skipped' else 'cancelled' end,
         skip_reason = v.reason, updated_at = $4
       from unnest($1::bigint[], $2::text[], $3::text[]) as v(id, how, reason) where d.id = v.id`,
      [
        closed.map((r) => r.id),
        closed.map((r) => r.how),
        closed.map((r) => ('reason' in r ? r.reason : '')),
        now,
      ],
    )
  const dropped = removals.filter((r) => r.how === 'drop').map((r) => r.id)
  if (dropped.length > 0) await q.query('delete from deliveries where id = any($1::bigint[])', [dropped])
  const postponed = removals.filter((r): r is Extract<Removal, { how: 'postpone' }> => r.how === 'postpone')
  if (postponed.length > 0)
    await q.query(
      `update deliveries d set status = 'queued', batch_id = null, due_at = v.until, updated_at = $3
       from unnest($1::bigint[], $2::timestamptz[]) as v(id, until) where d.id = v.id`,
      [postponed.map((r) => r.id), postponed.map((r) => r.until), now],
    )
}

/**
 * Completes a batch: records the members the provider accepted (with its id when known) and those
 * that failed for good, and closes the batch, in one statement (one round trip of the settle
 * transaction instead of three; an empty list updates nothing).
 */
export async function completeBatch(
  q: Queryable,
  batchId: number,
  results: {
    sent: readonly { id: number; providerId: string | null }[]
    failed: readonly { id: number; error: string }[]
  },
  now: Date,
): Promise<void> {
  const { sent, failed } = results
  await q.query(
    `with sent as (
       update deliveries d set status = 'sent', provider_id = v.provider_id, sent_at = $2, updated_at = $2, last_error = null
       from unnest($3::bigint[], $4::text[]) as v(id, provider_id) where d.id = v.id
       returning d.id
     ), failed as (
       update deliveries d set status = 'failed', last_error = v.error, updated_at = $2
       from unnest($5::bigint[], $6::text[]) as v(id, error) where d.id = v.id
       returning d.id
     )
     update send_batches set completed_at = $2, locked_by = null where id = $1`,
    [
      batchId,
      now,
      sent.map((s) => s.id),
      sent.map((s) => s.providerId),
      failed.map((f) => f.id),
      failed.map((f) => f.error),
    ],
  )
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
