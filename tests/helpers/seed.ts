import type { Queryable } from '../../src/db/db'

/**
 * Inserts `count` confirmed readers, each with one lesson (or newsletter) delivery due at `dueAt`:
 * a queue as the scheduler finds it, without going through signup for each.
 */
export async function seedDueReaders(
  q: Queryable,
  options: {
    count: number
    kind?: 'lesson' | 'newsletter'
    item: string
    dueAt: Date
    anchorDate?: string
    prefix?: string
    timezone?: string
    /** The course the readers are enrolled in (and a lesson is of); the short fixture course by default. */
    course?: string
  },
): Promise<void> {
  const prefix = options.prefix ?? 'reader'
  const course = options.course ?? 'short'
  await q.query(
    `with s as (
       insert into subscribers (email, email_key, name, timezone, status, confirmed_at, consent_at, consent_source,
         created_at, updated_at)
       select $1 || n || '@example.org', $1 || n || '@example.org', 'Reader ' || n, $5, 'confirmed', $2, $2, 'seed', $2, $2
       from generate_series(1, $6::int) as n
       returning id
     )
     insert into enrolments (subscriber_id, course, status, anchor_date, last_day, created_at, updated_at)
     select id, $7, 'active', $3::date, case when $4 = 'lesson' then null else 0 end, $2, $2 from s`,
    [
      prefix,
      options.dueAt,
      options.anchorDate ?? options.dueAt.toISOString().slice(0, 10),
      options.kind ?? 'lesson',
      options.timezone ?? 'UTC',
      options.count,
      course,
    ],
  )
  await q.query(
    `insert into deliveries (subscriber_id, kind, course, item, status, due_at, created_at, updated_at)
     select id, $1, $5, $2, 'queued', $3, $3, $3 from subscribers where email_key like $4 || '%'`,
    [
      options.kind ?? 'lesson',
      options.item,
      options.dueAt,
      prefix,
      options.kind === 'newsletter' ? null : course,
    ],
  )
}

/** How many times each address got something, from the database's point of view. */
export async function deliveryStates(q: Queryable, kind: string, item: string) {
  const { rows } = await q.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from deliveries where kind = $1 and item = $2 group by status',
    [kind, item],
  )
  return Object.fromEntries(rows.map((row) => [row.status, row.n])) as Record<string, number>
}
