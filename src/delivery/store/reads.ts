import type { Queryable } from '../../db/db'
import type { DeliveryKind, DeliveryStatus } from '../../db/rows'
import { localDayBounds } from '../../lib/local-time'

/**
 * What other modules read from the queue: someone's emails (access requests, simulate), figures
 * (stats, status), and where an issue stands. Kept here so that every statement on `deliveries` and
 * `send_batches` has one home.
 */

/** One email sent (or planned) to a person, without the batch internals. */
export interface DeliveryRecord {
  id: number
  kind: DeliveryKind
  item: string | null
  status: DeliveryStatus
  due_at: Date
  created_at: Date
  sent_at: Date | null
  delivered_at: Date | null
  opened_at: Date | null
  clicked_at: Date | null
  bounced_at: Date | null
  complained_at: Date | null
  open_count: number
  click_count: number
  provider_id: string | null
  last_error: string | null
  skip_reason: string | null
}

/** Every email of one person, oldest first. */
export async function deliveriesOf(q: Queryable, subscriberId: number): Promise<DeliveryRecord[]> {
  const { rows } = await q.query<DeliveryRecord>(
    `select id, kind, item, status, due_at, created_at, sent_at, delivered_at, opened_at, clicked_at,
       bounced_at, complained_at, open_count, click_count, provider_id, last_error, skip_reason
     from deliveries where subscriber_id = $1 order by id`,
    [subscriberId],
  )
  return rows
}

/** The ids a provider event about this person's emails could carry: their delivery and provider ids. */
export async function deliveryIdsOf(
  q: Queryable,
  subscriberId: number,
): Promise<{ deliveryIds: number[]; providerIds: string[] }> {
  const { rows } = await q.query<{ id: number; provider_id: string | null }>(
    'select id, provider_id from deliveries where subscriber_id = $1',
    [subscriberId],
  )
  return {
    deliveryIds: rows.map((row) => row.id),
    providerIds: rows.flatMap((row) => (row.provider_id ? [row.provider_id] : [])),
  }
}

/** The last email that reached this person, as `kind:item` (e.g. `lesson:aftercare`), for "unsubscribed after". */
export async function lastSentEmail(q: Queryable, subscriberId: number): Promise<string | null> {
  const { rows } = await q.query<{ item: string }>(
    `select kind || ':' || case when kind = 'lesson' then course || '/' else '' end || coalesce(item, '') as item
     from deliveries
     where subscriber_id = $1 and status = 'sent' order by sent_at desc, id desc limit 1`,
    [subscriberId],
  )
  return rows[0]?.item ?? null
}

/** When each of these people's next lesson is due, for those with one waiting or in flight. */
export async function nextLessonDue(
  q: Queryable,
  subscriberIds: readonly number[],
): Promise<Map<number, Date>> {
  if (subscriberIds.length === 0) return new Map()
  const { rows } = await q.query<{ subscriber_id: number; due: Date }>(
    `select subscriber_id, min(due_at) as due from deliveries
     where subscriber_id = any($1::bigint[]) and kind = 'lesson' and status in ('queued', 'claimed')
     group by subscriber_id`,
    [subscriberIds],
  )
  return new Map(rows.map((row) => [row.subscriber_id, row.due]))
}

/** Emails handed to the provider and each provider signal, per item of one kind (each a count of emails). */
export interface ItemFigures {
  /** The lesson's course; null for a newsletter issue. */
  course: string | null
  item: string
  sent: number
  delivered: number
  /** At least one open reported. Unreliable: privacy proxies fetch images without a person reading. */
  opened: number
  clicked: number
  bounced: number
  complained: number
}

/** Per item of one kind; a row counts once per signal however often it was opened or clicked. */
export async function countItemFigures(q: Queryable, kind: 'lesson' | 'newsletter'): Promise<ItemFigures[]> {
  const { rows } = await q.query<ItemFigures>(
    `select course, item,
            count(*) filter (where sent_at is not null)::int as sent,
            count(delivered_at)::int as delivered,
            count(opened_at)::int as opened,
            count(clicked_at)::int as clicked,
            count(bounced_at)::int as bounced,
            count(complained_at)::int as complained
     from deliveries where kind = $1 group by course, item order by course, item`,
    [kind],
  )
  return rows
}

/** The queue at a glance: per email and state, with the next due time; open batches; failures. */
export async function readQueueSummary(q: Queryable) {
  const deliveries = await q.query<{
    kind: DeliveryKind
    course: string | null
    item: string
    status: DeliveryStatus
    n: number
    next_due: Date | null
  }>(
    // Confirmations and invitations have no item: each course's are counted together.
    `select kind, course, coalesce(item, '*') as item, status, count(*)::int as n,
            min(due_at) filter (where status = 'queued') as next_due
     from deliveries group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
  )
  const batches = await q.query<{ open: number; retrying: number; next_retry: Date | null }>(
    `select count(*)::int as open, count(*) filter (where attempts > 0)::int as retrying,
            min(lease_until) filter (where attempts > 0) as next_retry
     from send_batches where completed_at is null`,
  )
  const failures = await q.query<{
    kind: DeliveryKind
    course: string | null
    item: string
    last_error: string
    n: number
  }>(
    `select kind, course, coalesce(item, '*') as item, last_error, count(*)::int as n from deliveries
     where status = 'failed' group by 1, 2, 3, 4 order by n desc limit 10`,
  )
  return { deliveries: deliveries.rows, batches: batches.rows[0]!, failures: failures.rows }
}

/**
 * Due now, plus claims to take over: what a tick is about to send. Both counts read an index
 * (deliveries_due; open batches and their members), never the whole queue.
 */
export async function countDue(q: Queryable, now: Date): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `select ((select count(*) from deliveries where status = 'queued' and due_at <= $1)
           + (select count(*) from send_batches b join deliveries d on d.batch_id = b.id
              where b.completed_at is null and d.status = 'claimed'))::int as n`,
    [now],
  )
  return rows[0]?.n ?? 0
}

/** One person's lessons of one course (and round) as the queue holds them, in order. */
export async function lessonsOf(
  q: Queryable,
  subscriberId: number,
  course: string,
  round: number,
): Promise<{ id: number; item: string; status: DeliveryStatus; due_at: Date; sent_at: Date | null }[]> {
  const { rows } = await q.query<{
    id: number
    item: string
    status: DeliveryStatus
    due_at: Date
    sent_at: Date | null
  }>(
    `select id, item, status, due_at, sent_at from deliveries
     where subscriber_id = $1 and kind = 'lesson' and course = $2 and round = $3 order by id`,
    [subscriberId, course, round],
  )
  return rows
}

/** Where one issue's emails stand: counts by state, and the skip and failure reasons. */
export async function issueProgress(q: Queryable, slug: string) {
  const { rows } = await q.query<{ status: DeliveryStatus; reason: string | null; n: number }>(
    `select status, coalesce(skip_reason, last_error) as reason, count(*)::int as n
     from deliveries where kind = 'newsletter' and item = $1 group by 1, 2`,
    [slug],
  )
  const counts = { queued: 0, claimed: 0, sent: 0, failed: 0, skipped: 0, cancelled: 0 }
  const reasons: { status: string; reason: string; count: number }[] = []
  for (const row of rows) {
    counts[row.status] += row.n
    if (row.reason && (row.status === 'skipped' || row.status === 'failed'))
      reasons.push({ status: row.status, reason: row.reason, count: row.n })
  }
  return { ...counts, reasons }
}

/** Which of these issues still have emails waiting or in flight. */
export async function issuesUnderway(q: Queryable, slugs: readonly string[]): Promise<Set<string>> {
  if (slugs.length === 0) return new Set()
  const { rows } = await q.query<{ item: string }>(
    `select distinct item from deliveries
     where kind = 'newsletter' and item = any($1::text[]) and status in ('queued', 'claimed')`,
    [slugs],
  )
  return new Set(rows.map((row) => row.item))
}

/** Which of these people already got (or are getting) this issue: queued again only if it never went out. */
export async function reachedByIssue(
  q: Queryable,
  slug: string,
  subscriberIds: readonly number[],
): Promise<Set<number>> {
  if (subscriberIds.length === 0) return new Set()
  const { rows } = await q.query<{ subscriber_id: number }>(
    `select subscriber_id from deliveries
     where kind = 'newsletter' and item = $1 and subscriber_id = any($2::bigint[])
       and status not in ('skipped', 'cancelled')`,
    [slug, subscriberIds],
  )
  return new Set(rows.map((row) => row.subscriber_id))
}

/**
 * How many lessons each of these readers has had on their own local day that holds `now`, across
 * their courses: those sent that day, and those another batch is sending now (claimed, not among
 * `members`). The count a per-day limit is checked against; each reader's day has its own bounds.
 */
export async function lessonsSentOnLocalDay(
  q: Queryable,
  members: readonly { id: number; subscriber_id: number; timezone: string }[],
  now: Date,
): Promise<Map<number, number>> {
  const unique = [...new Map(members.map((m) => [m.subscriber_id, m.timezone])).entries()]
  if (unique.length === 0) return new Map()
  // Worked out once per zone, not per reader: a batch's readers share a handful of zones, and the
  // zone arithmetic is most of this function's time.
  const byZone = new Map<string, { start: Date; end: Date }>()
  const bounds = unique.map(([, zone]) => {
    let day = byZone.get(zone)
    if (!day) {
      day = localDayBounds(now, zone)
      byZone.set(zone, day)
    }
    return day
  })
  const { rows } = await q.query<{ subscriber_id: number; n: number }>(
    `select v.id as subscriber_id, count(d.id)::int as n
     from unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[]) as v(id, day_start, day_end)
     join deliveries d on d.subscriber_id = v.id and d.kind = 'lesson'
       and ((d.status = 'sent' and d.sent_at >= v.day_start and d.sent_at < v.day_end)
            or (d.status = 'claimed' and d.id <> all($4::bigint[])))
     group by v.id`,
    [
      unique.map(([id]) => id),
      bounds.map((b) => b.start),
      bounds.map((b) => b.end),
      members.map((m) => m.id),
    ],
  )
  return new Map(rows.map((row) => [row.subscriber_id, row.n]))
}

/** Emails of one kind handed to the provider in a time range, and how many of those bounced or drew a complaint. */
export interface SentFigures {
  kind: DeliveryKind
  sent: number
  bounced: number
  complained: number
}

/** Per kind, for emails sent in [from, to) (reads the deliveries_sent_at index: the range, not the queue). */
export async function countSentBetween(q: Queryable, from: Date, to: Date): Promise<SentFigures[]> {
  const { rows } = await q.query<SentFigures>(
    `select kind, count(*)::int as sent, count(bounced_at)::int as bounced, count(complained_at)::int as complained
     from deliveries where sent_at >= $1 and sent_at < $2 group by kind order by kind`,
    [from, to],
  )
  return rows
}
