import type { Hono } from 'hono'
import { type AuditEntry, listAudit } from '../../audit/log'
import { html, type SafeHtml } from '../html'
import { type Admin, adminPage, dataTable, formatTime, idParam } from './layout'

/** Entries on one page of the audit log. */
const AUDIT_PAGE = 50

const detailText = (detail: Record<string, unknown>, key: string) =>
  typeof detail[key] === 'string' || typeof detail[key] === 'number' ? String(detail[key]) : ''

/** What an entry says, in a sentence (the reader linked by id: the log keeps no address). */
export function describeAudit(entry: AuditEntry): SafeHtml {
  const who = entry.subscriber_id
    ? html`<a href="/admin/readers/${entry.subscriber_id}">reader #${entry.subscriber_id}</a>`
    : html``
  const d = entry.detail
  switch (entry.action) {
    case 'subscriber.resend_confirmation':
      return html`resent the confirmation to ${who}`
    case 'subscriber.course':
      return html`${detailText(d, 'action')} course ${entry.target ?? ''} of ${who}${d.changed === false ? ' (nothing to change)' : ''}`
    case 'subscriber.unsubscribe':
      return html`unsubscribed ${who}`
    case 'subscriber.erase':
      return html`erased ${who}`
    case 'subscriber.export':
      return html`exported the data of ${who}`
    case 'subscriber.show':
      return html`showed the data of ${who}`
    case 'newsletter.test':
      return html`sent a test copy of ${entry.target ?? ''} to ${detailText(d, 'to')}`
    case 'newsletter.send':
      return html`started sending ${entry.target ?? ''}${d.again ? ' to readers who never got it' : ''}`
    case 'newsletter.schedule':
      return html`scheduled ${entry.target ?? ''} for ${detailText(d, 'at')}`
    case 'webhook.remove':
      return html`removed webhook endpoint ${entry.target ?? ''}`
    case 'webhook.disable':
      return html`turned off webhook endpoint ${entry.target ?? ''}`
    case 'webhook.enable':
      return html`turned on webhook endpoint ${entry.target ?? ''}`
    case 'webhook.add':
      return html`added webhook endpoint ${entry.target ?? ''}`
    case 'webhook.test':
      return html`sent a test event to webhook endpoint ${entry.target ?? ''}`
    default:
      return html`${entry.action} ${entry.target ?? ''} ${who}`
  }
}

/** GET /admin/audit: every recorded action, newest first, paged by id. */
export function auditRoutes(app: Hono, admin: Admin): void {
  app.get('/admin/audit', async (c) => {
    const before = idParam(c.req.query('before'))
    const entries = await listAudit(admin.deps.db, { limit: AUDIT_PAGE + 1, before })
    const shown = entries.slice(0, AUDIT_PAGE)
    const next = entries.length > AUDIT_PAGE ? shown.at(-1)?.id : undefined
    return c.html(
      adminPage({
        site: admin.site,
        title: 'Audit log',
        section: 'audit',
        body: html`<h1>Audit log</h1>
<p class="muted">What operators did, from this admin ("admin") and from the command line ("cli:" and the system user), newest first. Times in UTC.</p>
${dataTable(
  [{ label: 'When' }, { label: 'Who' }, { label: 'What' }],
  shown.map((entry) => [formatTime(entry.at), entry.actor, describeAudit(entry)]),
  { caption: 'Audit log', empty: 'Nothing recorded yet.' },
)}
<nav class="pager" aria-label="Pages">${before ? html`<a href="/admin/audit">Newest</a>` : ''}${
          next ? html`<a href="/admin/audit?before=${next}" rel="next">Older entries</a>` : ''
        }</nav>`,
      }),
    )
  })
}
