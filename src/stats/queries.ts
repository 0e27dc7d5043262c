import type { Queryable } from '../db/db'
import type { SubscriberStatus } from '../subscribers/store'

/** Every state a subscriber can be in, in the order people move through them. */
export const SUBSCRIBER_STATES: readonly SubscriberStatus[] = [
  'pending',
  'confirmed',
  'unsubscribed',
  'bounced',
  'complained',
]

/** How many people are in each state (every state present, zero if empty). */
export async function countSubscribersByState(q: Queryable): Promise<Record<SubscriberStatus, number>> {
  const { rows } = await q.query<{ status: SubscriberStatus; n: number }>(
    'select status, count(*)::int as n from subscribers group by status',
  )
  const counts = Object.fromEntries(SUBSCRIBER_STATES.map((s) => [s, 0])) as Record<SubscriberStatus, number>
  for (const row of rows) counts[row.status] = row.n
  return counts
}

/** Signups (rows created) and confirmations on one UTC day. */
export interface DayFigures {
  /** YYYY-MM-DD (UTC). */
  day: string
  signups: number
  confirmations: number
}

/**
 * Signups and confirmations per UTC day in [from, to), days without any left out. A confirmation is
 * counted on the day of the person's latest confirmation (confirmed_at keeps only that one).
 */
export async function countDailySignups(q: Queryable, from: Date, to: Date): Promise<DayFigures[]> {
  const { rows } = await q.query<DayFigures>(
    `select to_char(day, 'YYYY-MM-DD') as day, sum(signups)::int as signups,
            sum(confirmations)::int as confirmations
     from (
       select (created_at at time zone 'UTC')::date as day, 1 as signups, 0 as confirmations
       from subscribers where created_at >= $1 and created_at < $2
       union all
       select (confirmed_at at time zone 'UTC')::date, 0, 1
       from subscribers where confirmed_at >= $1 and confirmed_at < $2
     ) happened
     group by day order by day`,
    [from, to],
  )
  return rows
}

/** What happened to the emails of one lesson or newsletter issue (each a count of emails). */
export interface ItemFigures {
  item: string
  sent: number
  delivered: number
  /** At least one open reported. Unreliable: privacy proxies fetch images without a person reading. */
  opened: number
  clicked: number
  bounced: number
  complained: number
}

/**
 * Per item of one kind: emails handed to the provider and those with each provider signal. A row
 * counts once per signal however often it was opened or clicked.
 */
export async function countItemFigures(q: Queryable, kind: 'lesson' | 'newsletter'): Promise<ItemFigures[]> {
  const { rows } = await q.query<ItemFigures>(
    `select item,
            count(*) filter (where sent_at is not null)::int as sent,
            count(delivered_at)::int as delivered,
            count(opened_at)::int as opened,
            count(clicked_at)::int as clicked,
            count(bounced_at)::int as bounced,
            count(complained_at)::int as complained
     from deliveries where kind = $1 group by item order by item`,
    [kind],
  )
  return rows
}

/**
 * How many people left right after each email (`kind:item` → count), from `unsubscribed_after`, the
 * last email sent to them when they unsubscribed.
 */
export async function countUnsubscribedAfter(q: Queryable): Promise<Map<string, number>> {
  const { rows } = await q.query<{ item: string; n: number }>(
    `select unsubscribed_after as item, count(*)::int as n from subscribers
     where unsubscribed_after is not null group by unsubscribed_after`,
  )
  return new Map(rows.map((row) => [row.item, row.n]))
}

/** The ends of the course funnel: everyone who signed up, confirmed, and finished the course. */
export async function countCourseTotals(
  q: Queryable,
): Promise<{ signedUp: number; confirmed: number; completed: number }> {
  const { rows } = await q.query<{ signed_up: number; confirmed: number; completed: number }>(
    `select count(*)::int as signed_up, count(confirmed_at)::int as confirmed,
            count(course_completed_at)::int as completed
     from subscribers`,
  )
  const row = rows[0]
  return { signedUp: row?.signed_up ?? 0, confirmed: row?.confirmed ?? 0, completed: row?.completed ?? 0 }
}
