import type { Db, Queryable } from '../db/db'
import { ON_CONFLICT_REQUEUE, REQUEUED_STATES } from './queue'

export interface NewsletterSend {
  slug: string
  status: 'scheduled' | 'sending' | 'sent' | 'cancelled'
  scheduled_at: Date
  created_at: Date
  started_at: Date | null
  enqueued_at: Date | null
  finished_at: Date | null
  recipients: number
}

export async function findNewsletterSend(q: Queryable, slug: string): Promise<NewsletterSend | undefined> {
  const { rows } = await q.query<NewsletterSend>('select * from newsletter_sends where slug = $1', [slug])
  return rows[0]
}

/** Records the decision to send an issue (now or at `at`). Returns false if a send already exists. */
export async function createNewsletterSend(
  q: Queryable,
  slug: string,
  at: Date,
  now: Date,
): Promise<boolean> {
  const { rowCount } = await q.query(
    `insert into newsletter_sends (slug, status, scheduled_at, created_at) values ($1, 'scheduled', $2, $3)
     on conflict (slug) do nothing`,
    [slug, at, now],
  )
  return rowCount === 1
}

/** Re-opens a finished send for `--resend-to-new`. */
export async function reopenNewsletterSend(q: Queryable, slug: string, at: Date): Promise<void> {
  await q.query(
    `update newsletter_sends set status = 'scheduled', scheduled_at = $2, finished_at = null where slug = $1`,
    [slug, at],
  )
}

/**
 * Who gets an issue: confirmed readers with the newsletter on (columns of `subscribers`). Shared by the
 * enqueue and by the count shown before it, so the number the CLI announces is the number it queues.
 */
const NEWSLETTER_AUDIENCE = `status = 'confirmed' and newsletter_opt_in`

/**
 * How many readers an enqueue of the issue would reach now. `eligible`: everyone in the audience (what
 * the enqueue walks through). `unsent`: those it would actually queue, i.e. who have no delivery of the
 * issue that went out or is on its way; for a repeated send (`--resend-to-new`) that is who gets it.
 */
export async function countNewsletterAudience(
  q: Queryable,
  slug: string,
): Promise<{ eligible: number; unsent: number }> {
  const { rows } = await q.query<{ eligible: number; unsent: number }>(
    `select count(*)::int as eligible,
            (count(*) filter (where not exists (
               select 1 from deliveries d
               where d.subscriber_id = s.id and d.kind = 'newsletter' and d.item = $1
                 and d.status not in ${REQUEUED_STATES}
             )))::int as unsent
     from subscribers s
     where ${NEWSLETTER_AUDIENCE}`,
    [slug],
  )
  return rows[0] ?? { eligible: 0, unsent: 0 }
}

/**
 * Queues the issue for every current recipient, in chunks by subscriber id, so memory stays flat
 * however long the list. Recipients: confirmed and newsletter on. The unique key skips anyone who has
 * (or had) this issue already, which makes a resumed or repeated enqueue add only the rest.
 */
export async function enqueueNewsletter(
  db: Db,
  slug: string,
  now: Date,
  onProgress: (queued: number, seen: number) => void = () => {},
  chunk = 5000,
): Promise<{ queued: number; seen: number }> {
  let after = 0
  let queued = 0
  let seen = 0
  for (;;) {
    const { rows } = await db.query<{ last: number | null; seen: number; inserted: number }>(
      `with chunk as (
         select id from subscribers
         where ${NEWSLETTER_AUDIENCE} and id > $2
         order by id limit $3
       ), inserted as (
         insert into deliveries (subscriber_id, kind, item, status, due_at, created_at, updated_at)
         select id, 'newsletter', $1, 'queued', $4, $4, $4 from chunk
         ${ON_CONFLICT_REQUEUE}
         returning 1
       )
       select (select max(id) from chunk) as last, (select count(*) from chunk)::int as seen,
              (select count(*) from inserted)::int as inserted`,
      [slug, after, chunk, now],
    )
    const row = rows[0]!
    if (row.last === null) break
    after = row.last
    seen += row.seen
    queued += row.inserted
    onProgress(queued, seen)
  }
  await db.query(
    `update newsletter_sends set status = 'sending', started_at = coalesce(started_at, $2), enqueued_at = $2,
       recipients = recipients + $3
     where slug = $1`,
    [slug, now, queued],
  )
  return { queued, seen }
}

/** How long a started enqueue may run before another process assumes it crashed and resumes it. */
const ENQUEUE_TAKEOVER_MS = 10 * 60 * 1000

/**
 * Issues whose time has come (scheduled with `--at`), and enqueues that a crashed process left
 * unfinished; each is taken by one process only.
 */
export async function takeDueNewsletterSends(q: Queryable, now: Date): Promise<string[]> {
  const { rows } = await q.query<{ slug: string }>(
    `update newsletter_sends set status = 'sending', started_at = $1
     where slug in (
       select slug from newsletter_sends
       where (status = 'scheduled' and scheduled_at <= $1)
          or (status = 'sending' and enqueued_at is null and started_at < $1 - $2 * interval '1 millisecond')
       for update skip locked
     )
     returning slug`,
    [now, ENQUEUE_TAKEOVER_MS],
  )
  return rows.map((row) => row.slug)
}

/** Marks sends whose deliveries are all done as sent. */
export async function finishNewsletterSends(q: Queryable, now: Date): Promise<void> {
  await q.query(
    `update newsletter_sends n set status = 'sent', finished_at = $1
     where n.status = 'sending' and n.enqueued_at is not null and not exists (
       select 1 from deliveries d where d.kind = 'newsletter' and d.item = n.slug and d.status in ('queued', 'claimed')
     )`,
    [now],
  )
}

/** Where one issue stands: counts by delivery status, and skip/failure reasons. */
export async function newsletterProgress(q: Queryable, slug: string) {
  const { rows } = await q.query<{ status: string; reason: string | null; n: number }>(
    `select status, coalesce(skip_reason, last_error) as reason, count(*)::int as n
     from deliveries where kind = 'newsletter' and item = $1 group by 1, 2`,
    [slug],
  )
  const counts = { queued: 0, claimed: 0, sent: 0, failed: 0, skipped: 0, cancelled: 0 }
  const reasons: { status: string; reason: string; count: number }[] = []
  for (const row of rows) {
    counts[row.status as keyof typeof counts] += row.n
    if (row.reason && (row.status === 'skipped' || row.status === 'failed'))
      reasons.push({ status: row.status, reason: row.reason, count: row.n })
  }
  return { ...counts, reasons }
}
