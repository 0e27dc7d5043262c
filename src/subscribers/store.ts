import type { Queryable } from '../db/db'

export type SubscriberStatus = 'pending' | 'confirmed' | 'unsubscribed' | 'bounced' | 'complained'

/** A subscriber row as stored. Dates of the course are local dates (YYYY-MM-DD) in `timezone`. */
export interface Subscriber {
  id: number
  email: string
  email_key: string
  name: string | null
  timezone: string
  status: SubscriberStatus
  newsletter_opt_in: boolean
  course_paused: boolean
  course_paused_at: Date | null
  course_anchor_date: string | null
  course_last_day: number | null
  course_last_sent_on: string | null
  course_completed_at: Date | null
  consent_at: Date | null
  consent_source: string | null
  consent_ip: string | null
  consent_text_version: string | null
  confirmed_at: Date | null
  confirmation_sent_at: Date | null
  unsubscribed_at: Date | null
  unsubscribed_after: string | null
  soft_bounces: number
  created_at: Date
  updated_at: Date
}

export async function findSubscriberByKey(
  q: Queryable,
  key: string,
  forUpdate = false,
): Promise<Subscriber | undefined> {
  const lock = forUpdate ? ' for update' : ''
  const { rows } = await q.query<Subscriber>(`select * from subscribers where email_key = $1${lock}`, [key])
  return rows[0]
}

export async function findSubscriberById(
  q: Queryable,
  id: number,
  forUpdate = false,
): Promise<Subscriber | undefined> {
  const lock = forUpdate ? ' for update' : ''
  const { rows } = await q.query<Subscriber>(`select * from subscribers where id = $1${lock}`, [id])
  return rows[0]
}

export interface NewSubscriber {
  email: string
  key: string
  name: string | null
  timezone: string
  status: SubscriberStatus
  consentAt: Date | null
  consentSource: string
  consentIp: string | null
  consentTextVersion: string | null
  confirmedAt: Date | null
}

/** Inserts a subscriber; returns undefined if the address exists already (a concurrent signup). */
export async function insertSubscriber(
  q: Queryable,
  s: NewSubscriber,
  now: Date,
): Promise<Subscriber | undefined> {
  const { rows } = await q.query<Subscriber>(
    `insert into subscribers (email, email_key, name, timezone, status, consent_at, consent_source, consent_ip,
       consent_text_version, confirmed_at, created_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
     on conflict (email_key) do nothing
     returning *`,
    [
      s.email,
      s.key,
      s.name,
      s.timezone,
      s.status,
      s.consentAt,
      s.consentSource,
      s.consentIp,
      s.consentTextVersion,
      s.confirmedAt,
      now,
    ],
  )
  return rows[0]
}

/** The columns a preference change may set. */
export interface SubscriberPatch {
  name?: string | null
  timezone?: string
  status?: SubscriberStatus
  newsletter_opt_in?: boolean
  course_paused?: boolean
  course_paused_at?: Date | null
  course_anchor_date?: string | null
  course_last_day?: number | null
  course_last_sent_on?: string | null
  course_completed_at?: Date | null
  confirmed_at?: Date | null
  confirmation_sent_at?: Date | null
  unsubscribed_at?: Date | null
  unsubscribed_after?: string | null
  soft_bounces?: number
  consent_at?: Date | null
  consent_source?: string | null
  consent_ip?: string | null
  consent_text_version?: string | null
}

const PATCHABLE = new Set<string>([
  'name',
  'timezone',
  'status',
  'newsletter_opt_in',
  'course_paused',
  'course_paused_at',
  'course_anchor_date',
  'course_last_day',
  'course_last_sent_on',
  'course_completed_at',
  'confirmed_at',
  'confirmation_sent_at',
  'unsubscribed_at',
  'unsubscribed_after',
  'soft_bounces',
  'consent_at',
  'consent_source',
  'consent_ip',
  'consent_text_version',
])

/** Updates the given columns (names from a fixed list, values bound) and returns the new row. */
export async function updateSubscriber(
  q: Queryable,
  id: number,
  patch: SubscriberPatch,
  now: Date,
): Promise<Subscriber> {
  const entries = Object.entries(patch).filter(
    ([column, value]) => PATCHABLE.has(column) && value !== undefined,
  )
  const sets = entries.map(([column], index) => `${column} = $${index + 3}`)
  const { rows } = await q.query<Subscriber>(
    `update subscribers set ${[...sets, 'updated_at = $2'].join(', ')} where id = $1 returning *`,
    [id, now, ...entries.map(([, value]) => value)],
  )
  if (!rows[0]) throw new Error(`subscriber ${id} vanished during an update`)
  return rows[0]
}

/**
 * The common signup in one statement: a new pending subscriber and their confirmation email, queued
 * together (atomic, no transaction round trips). Returns nothing if the address exists already, so
 * the caller takes the slower path that looks at the existing row.
 */
export async function insertPendingWithConfirmation(
  q: Queryable,
  s: NewSubscriber & { newsletterOptIn: boolean; confirmationItem: string },
  now: Date,
): Promise<{ subscriberId: number; deliveryId: number } | undefined> {
  const { rows } = await q.query<{ subscriber_id: number; id: number }>(
    `with created as (
       insert into subscribers (email, email_key, name, timezone, status, newsletter_opt_in, consent_at, consent_source,
         consent_ip, consent_text_version, confirmation_sent_at, created_at, updated_at)
       values ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9, $10, $10, $10)
       on conflict (email_key) do nothing
       returning id
     )
     insert into deliveries (subscriber_id, kind, item, status, due_at, created_at, updated_at)
     select id, 'confirmation', $11, 'queued', $10, $10, $10 from created
     returning id, subscriber_id`,
    [
      s.email,
      s.key,
      s.name,
      s.timezone,
      s.newsletterOptIn,
      s.consentAt,
      s.consentSource,
      s.consentIp,
      s.consentTextVersion,
      now,
      s.confirmationItem,
    ],
  )
  const row = rows[0]
  return row ? { subscriberId: row.subscriber_id, deliveryId: row.id } : undefined
}
