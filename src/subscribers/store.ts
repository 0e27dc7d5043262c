import type { Queryable } from '../db/db'
import type { Subscriber, SubscriberStatus } from '../db/rows'
import { emitEvents } from '../events/store'
import { type OutgoingEvent, subscriberData } from '../events/types'

/**
 * Every statement on `subscribers` but the course's columns (see course/progress.ts): finding people,
 * adding them, changing what they may change, and the audience and counts others read.
 */

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
  consentStatement?: string | null
  confirmedAt: Date | null
  newsletterOptIn?: boolean
  /** Set when a confirmation is queued with the new row. */
  confirmationSentAt?: Date | null
}

/** Inserts a subscriber; returns undefined if the address exists already (a concurrent signup). */
export async function insertSubscriber(
  q: Queryable,
  s: NewSubscriber,
  now: Date,
): Promise<Subscriber | undefined> {
  const { rows } = await q.query<Subscriber>(
    `insert into subscribers (email, email_key, name, timezone, status, newsletter_opt_in, consent_at, consent_source,
       consent_ip, consent_text_version, confirmed_at, confirmation_sent_at, created_at, updated_at, consent_statement)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)
     on conflict (email_key) do nothing
     returning *`,
    [
      s.email,
      s.key,
      s.name,
      s.timezone,
      s.status,
      s.newsletterOptIn ?? true,
      s.consentAt,
      s.consentSource,
      s.consentIp,
      s.consentTextVersion,
      s.confirmedAt,
      s.confirmationSentAt ?? null,
      now,
      s.consentStatement ?? null,
    ],
  )
  if (rows[0]) await emitEvents(q, createdEvents(rows), now)
  return rows[0]
}

/**
 * Inserts several new people in one statement (a group of signups); returns each one's id in the
 * order given, or undefined where the address exists already (or came earlier in the list). Their
 * events go in one insert too. Only the ids come back: everything else is what was given, and reading
 * whole rows back (five timestamps each) was a third of the statement's time on the embedded engine.
 */
export async function insertSubscribers(
  q: Queryable,
  people: readonly { subscriber: NewSubscriber; now: Date }[],
): Promise<({ id: number } | undefined)[]> {
  if (people.length === 0) return []
  const column = <T>(pick: (p: { subscriber: NewSubscriber; now: Date }) => T) => people.map(pick)
  const { rows } = await q.query<{ id: number; email_key: string }>(
    `insert into subscribers (email, email_key, name, timezone, status, newsletter_opt_in, consent_at, consent_source,
       consent_ip, consent_text_version, confirmed_at, confirmation_sent_at, created_at, updated_at, consent_statement)
     select email, email_key, name, timezone, status, newsletter_opt_in, consent_at, consent_source,
       consent_ip, consent_text_version, confirmed_at, confirmation_sent_at, created_at, created_at, consent_statement
     from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::timestamptz[],
       $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::text[])
       as u(email, email_key, name, timezone, status, newsletter_opt_in, consent_at, consent_source, consent_ip,
         consent_text_version, confirmed_at, confirmation_sent_at, created_at, consent_statement)
     on conflict (email_key) do nothing
     returning id, email_key`,
    [
      column((p) => p.subscriber.email),
      column((p) => p.subscriber.key),
      column((p) => p.subscriber.name),
      column((p) => p.subscriber.timezone),
      column((p) => p.subscriber.status),
      column((p) => p.subscriber.newsletterOptIn ?? true),
      column((p) => p.subscriber.consentAt),
      column((p) => p.subscriber.consentSource),
      column((p) => p.subscriber.consentIp),
      column((p) => p.subscriber.consentTextVersion),
      column((p) => p.subscriber.confirmedAt),
      column((p) => p.subscriber.confirmationSentAt ?? null),
      column((p) => p.now),
      column((p) => p.subscriber.consentStatement ?? null),
    ],
  )
  // An address given twice is inserted once: only its first mention gets the row.
  const idByKey = new Map(rows.map((row) => [row.email_key, row.id]))
  const inserted: StoredAs[] = []
  const ids = people.map((p) => {
    const id = idByKey.get(p.subscriber.key)
    if (id === undefined) return undefined
    idByKey.delete(p.subscriber.key)
    inserted.push(storedAs(id, p.subscriber, p.now))
    return { id }
  })
  if (inserted.length > 0) await emitEvents(q, createdEvents(inserted), people[0]!.now)
  return ids
}

/** What a new row holds that its events tell, from what was inserted. */
type StoredAs = Parameters<typeof subscriberData>[0]

function storedAs(id: number, s: NewSubscriber, now: Date): StoredAs {
  return {
    id,
    email: s.email,
    name: s.name,
    timezone: s.timezone,
    status: s.status,
    newsletter_opt_in: s.newsletterOptIn ?? true,
    created_at: now,
    confirmed_at: s.confirmedAt,
  }
}

/** `subscriber.created` for new rows, and `subscriber.confirmed` for those created confirmed (an import with proof). */
export function createdEvents(rows: readonly StoredAs[]): OutgoingEvent[] {
  return rows.flatMap((row): OutgoingEvent[] => [
    { type: 'subscriber.created', subscriberId: row.id, data: subscriberData(row) },
    ...(row.status === 'confirmed'
      ? [{ type: 'subscriber.confirmed' as const, subscriberId: row.id, data: subscriberData(row) }]
      : []),
  ])
}

/** The columns a preference change may set. */
export interface SubscriberPatch {
  name?: string | null
  timezone?: string
  status?: SubscriberStatus
  newsletter_opt_in?: boolean
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
 * Who gets a newsletter issue: confirmed readers with the newsletter on, a page of ids at a time (the
 * ids after `after`, in order). The same rule gives the count shown before a send, so the number the
 * CLI announces is the number it queues.
 */
const NEWSLETTER_AUDIENCE = `status = 'confirmed' and newsletter_opt_in`

export async function listNewsletterAudience(
  q: Queryable,
  page: { after: number; limit: number },
): Promise<number[]> {
  const { rows } = await q.query<{ id: number }>(
    `select id from subscribers where ${NEWSLETTER_AUDIENCE} and id > $1 order by id limit $2`,
    [page.after, page.limit],
  )
  return rows.map((row) => row.id)
}

export async function countNewsletterAudience(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `select count(*)::int as n from subscribers where ${NEWSLETTER_AUDIENCE}`,
  )
  return rows[0]?.n ?? 0
}

/** Deletes a person; their deliveries go with them (the foreign key cascades). */
export async function deleteSubscriber(q: Queryable, id: number): Promise<void> {
  await q.query('delete from subscribers where id = $1', [id])
}

/**
 * A page of subscribers in id order after `after` (keyset: every page is an index range scan, at any
 * depth), optionally of one status.
 */
export async function listSubscribers(
  q: Queryable,
  options: { after: number; limit: number; status?: SubscriberStatus },
): Promise<Subscriber[]> {
  const { rows } = await q.query<Subscriber>(
    `select * from subscribers where id > $1 and ($3::text is null or status = $3) order by id limit $2`,
    [options.after, options.limit, options.status ?? null],
  )
  return rows
}

/**
 * A page of readers for the admin, newest first: ids below `before` (keyset: a page costs the same at
 * any depth), of one status, whose address or name contains `text` (case-insensitive; `%` and `_` are
 * taken literally). The text is matched in one expression, the one migration 009 indexes with trigrams
 * where PostgreSQL has pg_trgm: a fragment found once is then an index lookup, not a read of the list.
 * The statement holds only the conditions asked for: a prepared statement's generic plan cannot leave
 * out a "$3 is null or ..." branch, and would then read the list backwards for one fragment.
 */
export async function searchSubscribers(
  q: Queryable,
  options: { limit: number; before?: number; status?: SubscriberStatus; text?: string },
): Promise<Subscriber[]> {
  const text = options.text?.trim().toLowerCase()
  const params: unknown[] = [options.limit]
  const where: string[] = []
  if (options.before != null) where.push(`id < $${params.push(options.before)}`)
  if (options.status != null) where.push(`status = $${params.push(options.status)}`)
  if (text) {
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    where.push(`(email_key || ' ' || lower(coalesce(name, ''))) like $${params.push(pattern)}`)
  }
  const { rows } = await q.query<Subscriber>(
    `select * from subscribers ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit $1`,
    params,
  )
  return rows
}
