import { randomUUID } from 'node:crypto'
import type { CompiledEmail } from '../content/personalize'
import { renderWebVersion } from '../content/web-version'
import type { Db } from '../db/db'
import type { Sender, SendReport } from '../delivery/sender'
import { issueProgress } from '../delivery/store/reads'
import { listUnsubscribeHeaders } from '../mail/headers'
import type { Mailer, SingleResult } from '../mail/mailer'
import { finishIssues, type NewsletterSend } from './sends'

/**
 * What `course newsletter send` and the admin do with one issue, beyond the send row itself: decide
 * whether a send may start, send a test copy, and send the queued emails now with their tally.
 */

/** What a send of an issue that may have been sent before does: start, resume, send again, or refuse. */
export type SendPlan = { start: 'new' | 'resume' | 'again' } | { refuse: string }

/**
 * A send is started once. One that is under way (a crash mid-send) resumes with the rest only; one that
 * is scheduled or done is refused, unless `again` (`--resend-to-new`): then it goes to those who never
 * got it.
 */
export function planIssueSend(slug: string, existing: NewsletterSend | undefined, again: boolean): SendPlan {
  if (!existing) return { start: 'new' }
  if (existing.status === 'sending') return { start: 'resume' }
  if (again) return { start: 'again' }
  const when =
    existing.status === 'scheduled'
      ? `scheduled for ${existing.scheduled_at.toISOString()}`
      : `already ${existing.status}${existing.finished_at ? ` on ${existing.finished_at.toISOString()}` : ''} to ${existing.recipients} people`
  return { refuse: `"${slug}" is ${when}. To send it only to people who never got it, add --resend-to-new.` }
}

/**
 * One `[TEST]` copy of the issue to one address, as anyone may read it (no personal links), under a key
 * of its own: nobody else gets anything, and the send row is not touched.
 */
export function sendTestCopy(
  mailer: Mailer,
  compiled: CompiledEmail,
  site: { baseUrl: string; from: string },
  to: string,
): Promise<SingleResult> {
  const web = renderWebVersion(site.baseUrl, compiled)
  return mailer.send(
    {
      from: site.from,
      to,
      subject: `[TEST] ${web.subject}`,
      html: web.html,
      text: web.text,
      headers: listUnsubscribeHeaders({ url: `${site.baseUrl}/unsubscribe`, from: site.from, token: 'test' }),
      tags: [{ name: 'kind', value: 'test' }],
    },
    { idempotencyKey: `test-${randomUUID()}` },
  )
}

/**
 * Sends the issue's queued emails now, through the same claims, keys and throttle as every tick, then
 * marks the send done if nothing waits. Returns the tally afterwards and the engine's report.
 */
export async function deliverIssue(
  db: Db,
  sender: Sender,
  slug: string,
  now: () => Date,
  onBatch?: (report: SendReport) => void,
) {
  const report = await sender.run({
    filter: { kind: 'newsletter', item: slug },
    budgetMs: 24 * 60 * 60 * 1000,
    // One batch at a time: each call holds its request body (about 2 MB) while it goes, and a real
    // provider limit (Resend's default, 2 calls a second, is 200 emails/s) sets the pace far below one
    // lane. With no provider limit, four in flight sent a 1,000,000-reader issue about twice as fast
    // but peaked at 135 MB instead of 99 MB (`npm run bench -- --only memory`).
    inFlight: 1,
    ...(onBatch ? { onBatch } : {}),
  })
  await finishIssues(db, now())
  return { after: await issueProgress(db, slug), report }
}
