import type { Context, Hono } from 'hono'
import type { Content } from '../../content/catalog'
import { personalize } from '../../content/personalize'
import { sampleValues } from '../../content/sample-values'
import { issueProgress } from '../../delivery/store/reads'
import { maskEmail } from '../../lib/logger'
import { planIssueSend, sendTestCopy } from '../../newsletters/issue'
import { findIssueSend, listIssueSends, scheduleIssue } from '../../newsletters/sends'
import { countNewsletterAudience } from '../../subscribers/store'
import { checkEmail } from '../../subscribers/validate'
import { html } from '../html'
import { EMAIL_CSP } from '../security'
import { type Admin, adminPage, dataTable, formFields, noticeFor, redirectDone } from './layout'
import { type IssueView, issueBody, sendState } from './newsletter-page'

const NOTICES: Record<string, string> = {
  'test-sent': 'The test copy is sent: nobody else got anything.',
  sending:
    'Sending has started: the scheduler queues the issue for everyone who wants it and sends it (within a minute). The figures below follow it.',
  scheduled: 'Scheduled: the scheduler sends it at that time, to whoever wants it then.',
}

/** `YYYY-MM-DDTHH:MM` (a datetime-local field), read as UTC; undefined if it is not one. */
function parseUtcMinute(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return undefined
  const at = new Date(`${value}:00Z`)
  return Number.isNaN(at.getTime()) ? undefined : at
}

/**
 * Newsletters: the issues with their send state; an issue's page with the email as readers get it (600
 * and 375 px), the recipient count, "send a test to …", send now or schedule, and its progress while it
 * goes out (the admin script refreshes the figures from /progress.json; a reload does too). Starting a
 * send records the decision as `course newsletter send --at` does; the scheduler's tick (every worker,
 * or `npm start`) queues and sends it through the same claims, keys and throttle, so a send started here
 * survives this web process.
 */
export function newsletterRoutes(app: Hono, admin: Admin): void {
  const { deps } = admin
  const issueOf = (c: Context) => {
    const content = deps.content()
    const slug = c.req.param('slug') ?? ''
    const issue = content.newsletter(slug)
    const compiled = content.compiled('newsletter', null, slug)
    return issue && compiled ? { content, issue, compiled, slug } : undefined
  }
  const missing = (c: Context) =>
    c.html(
      adminPage({
        site: admin.site,
        title: 'No such issue',
        section: 'newsletters',
        body: html`<h1>No such issue</h1><p>It is not in the newsletters folder (any more).</p><p><a href="/admin/newsletters">All issues</a></p>`,
      }),
      404,
    )
  const progress = async (slug: string) => {
    const [send, tally] = await Promise.all([findIssueSend(deps.db, slug), issueProgress(deps.db, slug)])
    return { send, tally }
  }
  const view = async (c: Context, found: NonNullable<ReturnType<typeof issueOf>>, error?: string) => {
    const { send, tally } = await progress(found.slug)
    const issueView: IssueView = {
      issue: found.issue,
      subject: found.compiled.subject,
      preview: found.compiled.preview,
      send,
      tally,
      audience: await countNewsletterAudience(deps.db),
      canTest: admin.tools.mailer !== undefined,
      now: admin.now(),
    }
    return adminPage({
      site: admin.site,
      title: found.issue.title,
      section: 'newsletters',
      notice: noticeFor(c, NOTICES),
      body: issueBody(issueView, error),
    })
  }

  app.get('/admin/newsletters', async (c) => {
    const content: Content = deps.content()
    const sends = await listIssueSends(deps.db)
    const issues = [...content.newsletters].sort((a, b) => b.date.localeCompare(a.date))
    const rows = await Promise.all(
      issues.map(async (issue) => {
        const send = sends.get(issue.slug)
        const tally = send ? await issueProgress(deps.db, issue.slug) : undefined
        return [
          issue.date,
          html`<a href="/admin/newsletters/${issue.slug}">${issue.title}</a>`,
          sendState(send),
          tally ? `${tally.sent} sent, ${tally.skipped} skipped, ${tally.failed} failed` : '—',
        ]
      }),
    )
    return c.html(
      adminPage({
        site: admin.site,
        title: 'Newsletters',
        section: 'newsletters',
        body: html`<h1>Newsletters</h1>
<p class="muted">Issues are the Markdown files of the newsletters folder; write and edit them there.</p>
${dataTable([{ label: 'Date' }, { label: 'Issue' }, { label: 'State' }, { label: 'Emails' }], rows, {
  caption: 'Newsletter issues',
  empty: 'No issues yet: add one to the newsletters folder.',
})}
<p><a href="/admin/stats.csv?table=newsletters" download>Each issue's figures as CSV</a></p>`,
      }),
    )
  })

  app.get('/admin/newsletters/:slug', async (c) => {
    const found = issueOf(c)
    return found ? c.html(await view(c, found)) : missing(c)
  })

  /** The email as a reader called Sam gets it, for the page's frames (email CSP: inline styles, no script). */
  app.get('/admin/newsletters/:slug/email.html', (c) => {
    const found = issueOf(c)
    if (!found) return c.text('Not found', 404)
    c.header('Content-Security-Policy', EMAIL_CSP)
    c.header('X-Frame-Options', 'SAMEORIGIN')
    const values = sampleValues(deps.config.baseUrl, null, found.slug, 'newsletter')
    return c.html(personalize(found.compiled, values).html)
  })

  app.get('/admin/newsletters/:slug/progress.json', async (c) => {
    const found = issueOf(c)
    if (!found) return c.json({ error: 'no such issue' }, 404)
    const { send, tally } = await progress(found.slug)
    return c.json({
      status: send?.status ?? 'not sent',
      state: sendState(send),
      scheduled_at: send?.scheduled_at ?? null,
      finished_at: send?.finished_at ?? null,
      recipients: send?.recipients ?? 0,
      waiting: tally.queued + tally.claimed,
      sent: tally.sent,
      skipped: tally.skipped,
      failed: tally.failed,
      reasons: tally.reasons,
    })
  })

  app.post('/admin/newsletters/:slug/test', async (c) => {
    const found = issueOf(c)
    if (!found) return missing(c)
    const field = await formFields(c)
    const checked = checkEmail(field('to'))
    if (!admin.tools.mailer) return c.html(await view(c, found, 'Test copies are not switched on here.'), 503)
    if (!checked.ok) return c.html(await view(c, found, `The test address: ${checked.message}`), 400)
    const config = deps.config
    const result = await sendTestCopy(
      admin.tools.mailer,
      found.compiled,
      { baseUrl: config.baseUrl, from: config.mail.from },
      checked.email,
    )
    if (!result.ok)
      return c.html(
        await view(c, found, `The test copy was not sent: ${result.code}: ${result.message}`),
        502,
      )
    await admin.audit({
      action: 'newsletter.test',
      target: found.slug,
      detail: { to: maskEmail(checked.email) },
    })
    return redirectDone(c, `/admin/newsletters/${found.slug}`, 'test-sent')
  })

  app.post('/admin/newsletters/:slug/send', async (c) => {
    const found = issueOf(c)
    if (!found) return missing(c)
    const field = await formFields(c)
    const now = admin.now()
    const later = field('at') === '' ? undefined : parseUtcMinute(field('at'))
    if (field('at') !== '' && (!later || later <= now))
      return c.html(await view(c, found, 'Give a time in the future, as YYYY-MM-DD HH:MM (UTC).'), 400)
    if (!later && field('confirm') !== 'yes')
      return c.html(await view(c, found, 'Nothing was sent: tick the box to confirm the send.'), 400)
    const again = field('again') === 'yes'
    const existing = await findIssueSend(deps.db, found.slug)
    const plan = planIssueSend(found.slug, existing, again)
    if ('refuse' in plan) {
      const why = `This issue is ${sendState(existing)}. To send it to readers who never got it, tick "Only readers who never got it".`
      return c.html(await view(c, found, why), 409)
    }
    // A send under way (a crash mid-queueing) resumes by itself at the next tick.
    if (plan.start !== 'resume') await scheduleIssue(deps.db, found.slug, later ?? now, now)
    await admin.audit(
      later
        ? { action: 'newsletter.schedule', target: found.slug, detail: { at: later.toISOString(), again } }
        : { action: 'newsletter.send', target: found.slug, detail: { again } },
    )
    return redirectDone(c, `/admin/newsletters/${found.slug}`, later ? 'scheduled' : 'sending')
  })
}
