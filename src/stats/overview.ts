import type { Queryable } from '../db/db'
import type { SubscriberStatus } from '../db/rows'
import { countSentBetween } from '../delivery/store/reads'
import { countDailySignups, countSubscribersByState, SUBSCRIBER_STATES } from '../subscribers/counts'

/**
 * The admin's headline numbers: readers by state, this week's signups and confirmations against the
 * week before, emails sent today, and the bounce and complaint rates of recent mail against the line
 * mailbox providers draw. Each figure is one indexed read, so the overview stays quick on a long list.
 */

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * Gmail's and Yahoo's bulk-sender rule (February 2024): keep the spam-complaint rate under 0.1 %, and
 * never let it reach 0.3 %, past which their filters turn against the sender.
 */
export const COMPLAINT_LIMIT = 0.003
export const COMPLAINT_TARGET = 0.001

/** Days of mail the bounce and complaint rates are computed over (by when the email was sent). */
export const RATE_WINDOW_DAYS = 30

export interface WeekFigures {
  signups: number
  confirmations: number
}

export interface Overview {
  generatedAt: string
  readers: { status: SubscriberStatus; count: number }[]
  /** The last 7 days up to now, and the 7 days before them (rolling windows, not calendar weeks). */
  thisWeek: WeekFigures
  lastWeek: WeekFigures
  /** Emails handed to the provider since 00:00 UTC today, every kind together and per kind. */
  sentToday: number
  sentTodayByKind: Record<string, number>
  /** Emails sent in the last {@link RATE_WINDOW_DAYS} days, and how many of those bounced or drew a complaint. */
  recent: {
    days: number
    sent: number
    bounced: number
    complained: number
    bounceRate: number
    complaintRate: number
  }
}

async function week(q: Queryable, from: Date, to: Date): Promise<WeekFigures> {
  const days = await countDailySignups(q, from, to)
  return {
    signups: days.reduce((sum, d) => sum + d.signups, 0),
    confirmations: days.reduce((sum, d) => sum + d.confirmations, 0),
  }
}

/** Every headline figure at `now` (the injected clock's time). */
export async function readOverview(q: Queryable, now: Date): Promise<Overview> {
  const at = now.getTime()
  const today = Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`)
  const [states, thisWeek, lastWeek, todays, recent] = await Promise.all([
    countSubscribersByState(q),
    week(q, new Date(at - 7 * DAY_MS), now),
    week(q, new Date(at - 14 * DAY_MS), new Date(at - 7 * DAY_MS)),
    countSentBetween(q, new Date(today), new Date(today + DAY_MS)),
    countSentBetween(q, new Date(at - RATE_WINDOW_DAYS * DAY_MS), new Date(at + 1)),
  ])
  const sum = (rows: typeof recent, key: 'sent' | 'bounced' | 'complained') =>
    rows.reduce((total, row) => total + row[key], 0)
  const sent = sum(recent, 'sent')
  const bounced = sum(recent, 'bounced')
  const complained = sum(recent, 'complained')
  return {
    generatedAt: now.toISOString(),
    readers: SUBSCRIBER_STATES.map((status) => ({ status, count: states[status] })),
    thisWeek,
    lastWeek,
    sentToday: sum(todays, 'sent'),
    sentTodayByKind: Object.fromEntries(todays.map((row) => [row.kind, row.sent])),
    recent: {
      days: RATE_WINDOW_DAYS,
      sent,
      bounced,
      complained,
      bounceRate: sent > 0 ? bounced / sent : 0,
      complaintRate: sent > 0 ? complained / sent : 0,
    },
  }
}

/** How a figure moved against the one before, in words: `+25 %`, `−50 %`, `new` or `same`. */
export function change(now: number, before: number): string {
  if (now === before) return 'same'
  if (before === 0) return 'new'
  const percent = Math.round(((now - before) / before) * 100)
  return percent >= 0 ? `+${percent} %` : `−${Math.abs(percent)} %`
}
