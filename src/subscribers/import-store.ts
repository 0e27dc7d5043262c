import { type Courses, enrolAndStart, replanReader } from '../course/lessons'
import { nextLesson } from '../course/plan'
import { addEnrolments } from '../course/progress'
import type { Queryable } from '../db/db'
import type { Subscriber } from '../db/rows'
import { queueEmails } from '../delivery/store/queue'
import { emitEvents } from '../events/store'
import { findErasedKeys } from './erased'
import type { ImportRow, RowProblem } from './import-rows'
import { createdEvents } from './store'

/** Recorded as the consent wording of imported people: they agreed to some text elsewhere, not to our form. */
export const IMPORT_CONSENT_VERSION = 'import'

/** Stored as the source of imported people who are not confirmed yet (and gave none). */
export const IMPORT_SOURCE = 'import'

export interface ChunkSettings {
  /** One instant for the whole import: enrolment day 0, confirmation sends and updated_at. */
  now: Date
  /** The course new people are enrolled in (confirmed ones start it now; pending ones on confirming). */
  course: string
  courses: Courses
  sendConfirmations: boolean
  /** Reads the database to say what would happen, writes nothing. */
  dryRun: boolean
}

/** What one chunk did (or, in a dry run, would do). */
export interface ChunkOutcome {
  createdConfirmed: number
  createdPending: number
  confirmationsQueued: number
  lessonsQueued: number
  updated: number
  unchanged: number
  problems: RowProblem[]
}

const iso = (date: Date | null) => date?.toISOString() ?? null

/** New people, in one statement. Returns the rows inserted (an address a concurrent signup took is left out). */
async function insertMany(
  q: Queryable,
  rows: readonly ImportRow[],
  settings: ChunkSettings,
): Promise<Subscriber[]> {
  const { now, sendConfirmations } = settings
  const zone = (row: ImportRow) => row.timezone ?? 'UTC'
  const { rows: inserted } = await q.query<Subscriber>(
    `insert into subscribers (email, email_key, name, timezone, status, consent_at, consent_source,
       consent_text_version, confirmed_at, confirmation_sent_at, created_at, updated_at)
     select u.email, u.email_key, u.name, u.timezone, u.status, u.confirmed_at, u.consent_source,
       u.consent_text_version, u.confirmed_at, u.confirmation_sent_at, $10, $10
     from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[],
       $8::text[], $9::timestamptz[])
       as u(email, email_key, name, timezone, status, confirmed_at, consent_source, consent_text_version,
         confirmation_sent_at)
     on conflict (email_key) do nothing
     returning *`,
    [
      rows.map((r) => r.email),
      rows.map((r) => r.key),
      rows.map((r) => r.name),
      rows.map(zone),
      rows.map((r) => (r.confirmedAt ? 'confirmed' : 'pending')),
      rows.map((r) => iso(r.confirmedAt)),
      rows.map((r) => r.consentSource ?? IMPORT_SOURCE),
      rows.map((r) => (r.confirmedAt ? IMPORT_CONSENT_VERSION : null)),
      rows.map((r) => (!r.confirmedAt && sendConfirmations ? iso(now) : null)),
      now,
    ],
  )
  await emitEvents(q, createdEvents(inserted), now)
  return inserted
}

/** Name and time zone of existing people, in one statement; other columns (status, course) are never touched. */
async function updateMany(
  q: Queryable,
  changes: readonly { id: number; name: string | null; timezone: string | null }[],
  now: Date,
): Promise<Subscriber[]> {
  if (changes.length === 0) return []
  const { rows } = await q.query<Subscriber>(
    `update subscribers s
     set name = coalesce(u.name, s.name), timezone = coalesce(u.timezone, s.timezone), updated_at = $4
     from unnest($1::bigint[], $2::text[], $3::text[]) as u(id, name, timezone)
     where s.id = u.id
     returning s.*`,
    [changes.map((c) => c.id), changes.map((c) => c.name), changes.map((c) => c.timezone), now],
  )
  return rows
}

/**
 * Imports one chunk of valid rows (distinct addresses) in the caller's transaction. Existing people
 * get their name and time zone updated and nothing else: no status change, no re-enrolment, no email.
 * Addresses erased on request are refused. New people with proof of consent are confirmed and
 * enrolled with lesson day 0 due now; the others wait as pending, with a confirmation queued only
 * when asked for.
 */
export async function importChunk(
  q: Queryable,
  rows: readonly ImportRow[],
  settings: ChunkSettings,
): Promise<ChunkOutcome> {
  const { now, dryRun } = settings
  const outcome: ChunkOutcome = {
    createdConfirmed: 0,
    createdPending: 0,
    confirmationsQueued: 0,
    lessonsQueued: 0,
    updated: 0,
    unchanged: 0,
    problems: [],
  }
  if (rows.length === 0) return outcome
  // Locks the existing rows so a signup, confirmation or unsubscribe in between waits for this chunk;
  // in id order, so two imports of overlapping files cannot deadlock.
  const { rows: found } = await q.query<Subscriber>(
    `select * from subscribers where email_key = any($1::text[]) order by id${dryRun ? '' : ' for update'}`,
    [rows.map((r) => r.key)],
  )
  const existing = new Map(found.map((s) => [s.email_key, s]))
  const fresh = rows.filter((r) => !existing.has(r.key))
  const erased = await findErasedKeys(
    q,
    fresh.map((r) => r.key),
  )
  const toCreate = fresh.filter((r) => !erased.has(r.key))
  for (const row of fresh)
    if (erased.has(row.key))
      outcome.problems.push({
        line: row.line,
        field: 'email',
        message: 'erased on request; they must subscribe again themselves',
      })

  const changes: { id: number; name: string | null; timezone: string | null }[] = []
  for (const row of rows) {
    const s = existing.get(row.key)
    if (!s) continue
    const name = row.name !== null && row.name !== s.name ? row.name : null
    const timezone = row.timezone !== null && row.timezone !== s.timezone ? row.timezone : null
    if (name === null && timezone === null) outcome.unchanged++
    else changes.push({ id: s.id, name, timezone })
  }

  if (dryRun) {
    outcome.updated = changes.length
    outcome.createdConfirmed = toCreate.filter((r) => r.confirmedAt).length
    outcome.createdPending = toCreate.length - outcome.createdConfirmed
    outcome.confirmationsQueued = settings.sendConfirmations ? outcome.createdPending : 0
    outcome.lessonsQueued = nextLesson(settings.courses(settings.course)?.lessons ?? [], null)
      ? outcome.createdConfirmed
      : 0
    return outcome
  }

  const updated = await updateMany(q, changes, now)
  outcome.updated = updated.length
  const moved = new Set(changes.filter((c) => c.timezone !== null).map((c) => c.id))
  // A new time zone moves the waiting lesson to the send hour there, as the preferences page does.
  for (const s of updated) if (moved.has(s.id)) await replanReader(q, s.id, settings.courses, now)

  const inserted = await insertMany(q, toCreate, settings)
  outcome.unchanged += toCreate.length - inserted.length
  const confirmed = inserted.filter((s) => s.status === 'confirmed')
  const pending = inserted.filter((s) => s.status === 'pending')
  outcome.createdConfirmed = confirmed.length
  outcome.createdPending = pending.length

  // Enrolled as of the import: day 0 is today in their zone, whenever they confirmed elsewhere, so
  // nobody gets a backlog of lessons "missed" since an old confirmation date.
  const started = await enrolAndStart(
    q,
    confirmed.map((s) => ({ subscriberId: s.id })),
    settings.course,
    IMPORT_SOURCE,
    settings.courses,
    now,
  )
  outcome.lessonsQueued = started.length
  // Pending people start the course when they confirm their address.
  await addEnrolments(
    q,
    pending.map((s) => ({
      subscriberId: s.id,
      course: settings.course,
      status: 'pending' as const,
      source: IMPORT_SOURCE,
    })),
    now,
  )
  if (settings.sendConfirmations) {
    // confirmation_sent_at was set by the insert.
    const confirmations = pending.map((s) => ({
      subscriberId: s.id,
      kind: 'confirmation' as const,
      course: settings.course,
      item: null,
      dueAt: now,
    }))
    outcome.confirmationsQueued = (await queueEmails(q, confirmations, now)).length
  }
  return outcome
}
