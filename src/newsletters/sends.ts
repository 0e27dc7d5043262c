import type { Db, Queryable } from '../db/db'
import { queueForReaders, refreshQueueStatistics } from '../delivery/store/queue'
import { issueProgress, issuesUnderway, reachedByIssue } from '../delivery/store/reads'
import type { Logger } from '../lib/logger'
import { countNewsletterAudience, listNewsletterAudience } from '../subscribers/store'

/**
 * Sending a newsletter issue: the decision to send (now or at a time), queueing it for everyone who
 * wants it then, and knowing when it is done. Every statement on `newsletter_sends` is here; the CLI
 * and the scheduler's tick call the same functions.
 */

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

export async function findIssueSend(q: Queryable, slug: string): Promise<NewsletterSend | undefined> {
  const { rows } = await q.query<NewsletterSend>('select * from newsletter_sends where slug = $1', [slug])
  return rows[0]
}

/**
 * Records the decision to send an issue at `at` (now, or later for the scheduler): a new send, or a
 * finished one opened again to reach those who never got it (`--resend-to-new`).
 */
export async function scheduleIssue(q: Queryable, slug: string, at: Date, now: Date): Promise<void> {
  await q.query(
    `insert into newsletter_sends (slug, status, scheduled_at, created_at) values ($1, 'scheduled', $2, $3)
     on conflict (slug) do update set status = 'scheduled', scheduled_at = excluded.scheduled_at, finished_at = null`,
    [slug, at, now],
  )
}

/** Audience pages are this long: memory stays flat however long the list. */
const PAGE = 5000

/**
 * How many readers a send of the issue would reach now. `eligible`: everyone in the audience (confirmed,
 * newsletter on; what the queueing walks through). `unsent`: those it would queue, who have no email of
 * the issue that went out or is on its way; for a repeated send (`--resend-to-new`) that is who gets it.
 */
export async function measureAudience(db: Db, slug: string): Promise<{ eligible: number; unsent: number }> {
  const eligible = await countNewsletterAudience(db)
  // A first send (no email of the issue waiting, in flight or gone out): nobody is reached, and the
  // walk below (a minute at a million readers) can be skipped.
  const progress = await issueProgress(db, slug)
  if (progress.queued + progress.claimed + progress.sent + progress.failed === 0)
    return { eligible, unsent: eligible }
  let reached = 0
  for (let after = 0; ; ) {
    const ids = await listNewsletterAudience(db, { after, limit: PAGE })
    if (ids.length === 0) break
    after = ids.at(-1)!
    reached += (await reachedByIssue(db, slug, ids)).size
  }
  return { eligible, unsent: eligible - reached }
}

/**
 * Starts sending an issue now: queues it for every current reader of the audience, page by page (only
 * ids travel, and one count back per page), and records how many. The unique key skips anyone who has
 * (or had) this issue already, which makes a resumed or repeated start add only the rest. The queue's
 * statistics are then refreshed, so that claiming the issue's batches is planned for its new rows.
 */
export async function startIssue(
  db: Db,
  slug: string,
  now: Date,
  onProgress: (queued: number, seen: number) => void = () => {},
): Promise<{ queued: number; seen: number }> {
  await db.query(
    `update newsletter_sends set status = 'sending', started_at = coalesce(started_at, $2) where slug = $1`,
    [slug, now],
  )
  let queued = 0
  let seen = 0
  for (let after = 0; ; ) {
    const ids = await listNewsletterAudience(db, { after, limit: PAGE })
    if (ids.length === 0) break
    after = ids.at(-1)!
    seen += ids.length
    queued += await queueForReaders(
      db,
      { kind: 'newsletter', course: null, item: slug, dueAt: now },
      ids,
      now,
    )
    onProgress(queued, seen)
  }
  if (queued > 0) await refreshQueueStatistics(db)
  await db.query(
    `update newsletter_sends set status = 'sending', started_at = coalesce(started_at, $2), enqueued_at = $2,
       recipients = recipients + $3
     where slug = $1`,
    [slug, now, queued],
  )
  return { queued, seen }
}

/** How long a started queueing may run before another process assumes it crashed and resumes it. */
const QUEUEING_TAKEOVER_MS = 10 * 60 * 1000

/**
 * A tick task: starts issues whose time has come (scheduled with `--at`), and resumes the queueing of
 * any a crashed process left unfinished; each is taken by one process only.
 */
export function startDueIssues(db: Db, logger: Logger): (now: Date) => Promise<void> {
  return async (now) => {
    const { rows } = await db.query<{ slug: string }>(
      `update newsletter_sends set status = 'sending', started_at = $1
       where slug in (
         select slug from newsletter_sends
         where (status = 'scheduled' and scheduled_at <= $1)
            or (status = 'sending' and enqueued_at is null and started_at < $1 - $2 * interval '1 millisecond')
         for update skip locked
       )
       returning slug`,
      [now, QUEUEING_TAKEOVER_MS],
    )
    for (const { slug } of rows) {
      const { queued } = await startIssue(db, slug, now)
      logger.info({ newsletter: slug, queued }, 'newsletter issue queued for its recipients')
    }
  }
}

/** Marks issues whose emails are all done as sent (a tick task; the CLI calls it after a send). */
export async function finishIssues(db: Db, now: Date): Promise<void> {
  const { rows } = await db.query<{ slug: string }>(
    `select slug from newsletter_sends where status = 'sending' and enqueued_at is not null`,
  )
  const slugs = rows.map((row) => row.slug)
  const underway = await issuesUnderway(db, slugs)
  const done = slugs.filter((slug) => !underway.has(slug))
  if (done.length === 0) return
  await db.query(
    `update newsletter_sends set status = 'sent', finished_at = $2
     where slug = any($1::text[]) and status = 'sending' and enqueued_at is not null`,
    [done, now],
  )
}

/** Every send there is, by slug (for `course newsletter list`). */
export async function listIssueSends(q: Queryable): Promise<Map<string, NewsletterSend>> {
  const { rows } = await q.query<NewsletterSend>('select * from newsletter_sends')
  return new Map(rows.map((row) => [row.slug, row]))
}
