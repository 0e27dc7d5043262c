import type { Queryable } from '../db/db'
import type { SubscriberStatus } from '../db/rows'

/** What the dashboard and `course status` count of the subscribers table: people by state, signups by day. */

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
