import type { AuditEntry } from '../../audit/log'
import type { Content } from '../../content/catalog'
import type { SubscriberRecord } from '../../privacy/privacy'
import { html, type SafeHtml } from '../html'
import { describeAudit } from './audit'
import { dataTable, formatTime } from './layout'

/** What may be done with a reader's course in each of its states (the same moves as their preferences page). */
const COURSE_ACTIONS: Record<string, [action: string, label: string][]> = {
  pending: [['start', 'Start']],
  active: [
    ['pause', 'Pause'],
    ['leave', 'Leave'],
  ],
  paused: [
    ['resume', 'Resume'],
    ['leave', 'Leave'],
  ],
  left: [
    ['resume', 'Rejoin'],
    ['restart', 'Restart'],
  ],
  completed: [['restart', 'Restart']],
}

/**
 * Names an email of the queue for people: the lesson's or issue's title where the content has it (a
 * delivery names its lesson by slug; the record does not carry the course, so the first course with
 * that lesson names it).
 */
function emailName(content: Content, d: SubscriberRecord['deliveries'][number]): string {
  const item = d.item ?? ''
  if (d.kind === 'lesson')
    return content.courses.flatMap((c) => c.lessons).find((l) => l.slug === item)?.title ?? item
  if (d.kind === 'newsletter') return content.newsletter(item)?.title ?? item
  return d.kind === 'confirmation' ? 'Confirm your address' : 'Start a course?'
}

function signals(d: SubscriberRecord['deliveries'][number]): string {
  const seen = [
    d.delivered_at && 'delivered',
    d.opened_at && 'opened*',
    d.clicked_at && 'clicked',
    d.bounced_at && 'bounced',
    d.complained_at && 'complained',
  ].filter(Boolean)
  return [...seen, d.skip_reason && `skipped: ${d.skip_reason}`, d.last_error && `error: ${d.last_error}`]
    .filter(Boolean)
    .join(', ')
}

/**
 * A reader's page: who they are, their courses with the moves each allows, every email sent or
 * waiting (in their own time zone), the provider's events, their consent, the audit entries about
 * them, and the actions (resend confirmation, unsubscribe, export, erase with the address typed).
 */
export function readerBody(
  record: SubscriberRecord,
  content: Content,
  audit: readonly AuditEntry[],
): SafeHtml {
  const s = record.subscriber
  const zone = s.timezone
  const onList = s.status === 'pending' || s.status === 'confirmed'
  const courseRows = record.enrolments.map((e) => {
    const course = content.course(e.course)
    const days = course?.lessons.map((l) => l.day) ?? []
    const done = e.last_day === null ? 0 : days.filter((d) => d <= (e.last_day as number)).length
    const actions = onList ? (COURSE_ACTIONS[e.status] ?? []) : []
    return [
      course?.title ?? `${e.course} (no longer in the content)`,
      html`<span class="badge">${e.status}</span>`,
      `${done} of ${days.length} lessons${e.round > 1 ? `, round ${e.round}` : ''}`,
      actions.length === 0
        ? html`<span class="muted">—</span>`
        : html`<form method="post" action="/admin/readers/${s.id}/course" class="inline"><input type="hidden" name="course" value="${e.course}">${actions.map(
            ([action, label], i) =>
              html`<button type="submit" name="action" value="${action}"${i > 0 ? html` class="secondary"` : ''}>${label}<span class="visually-hidden"> ${course?.title ?? e.course}</span></button>`,
          )}</form>`,
    ]
  })
  const emails = record.deliveries
    .slice()
    .reverse()
    .map((d) => [
      html`<span class="tag">${d.kind}</span>${emailName(content, d)}`,
      d.status,
      d.sent_at ? formatTime(d.sent_at, zone) : formatTime(d.due_at, zone),
      signals(d),
    ])
  const events = record.emailEvents.map((e) => [
    e.type,
    formatTime(e.occurred_at ?? e.received_at, zone),
    e.link ?? e.detail ?? '',
  ])
  return html`<p><a href="/admin/readers">← Readers</a></p>
<h1>${s.email}</h1>
<dl class="facts">
<dt>State</dt><dd><span class="badge${onList ? ' good' : ' bad'}">${s.status}</span>${s.unsubscribed_at ? ` since ${formatTime(s.unsubscribed_at, zone)}` : ''}</dd>
<dt>Name</dt><dd>${s.name ?? '—'}</dd>
<dt>Time zone</dt><dd>${zone} (times on this page are theirs)</dd>
<dt>Newsletter</dt><dd>${s.newsletter_opt_in ? 'on' : 'off'}</dd>
<dt>Joined</dt><dd>${formatTime(s.created_at, zone)}</dd>
<dt>Confirmed</dt><dd>${formatTime(s.confirmed_at, zone) || 'not yet'}</dd>
</dl>
<h2>Courses</h2>
${dataTable(
  [{ label: 'Course' }, { label: 'State' }, { label: 'Progress' }, { label: 'Change' }],
  courseRows,
  {
    caption: 'Courses',
    empty: 'Not in any course.',
  },
)}
<h2>Actions</h2>
<div class="card">
${
  s.status === 'pending'
    ? html`<form method="post" action="/admin/readers/${s.id}/resend-confirmation"><p>They have not confirmed their address yet.</p>
<button type="submit">Resend the confirmation email</button></form>`
    : ''
}
${
  onList
    ? html`<form method="post" action="/admin/readers/${s.id}/unsubscribe"><p>Stops every email to them at once (as their own unsubscribe link does).</p>
<button type="submit" class="secondary">Unsubscribe from everything</button></form>`
    : html`<p>They get no email from us (${s.status}). Only they can come back, by signing up and confirming.</p>`
}
<p><a href="/admin/readers/${s.id}/export.json" download>Export their data (JSON)</a></p>
</div>
<form method="post" action="/admin/readers/${s.id}/erase" class="card danger">
<h3>Erase</h3>
<p>Deletes them, their emails and events for good; only a salted hash of the address stays, so it is never mailed again unless they subscribe anew.</p>
<label for="confirm-address">Type their address to confirm</label>
<input id="confirm-address" name="confirm" type="text" autocomplete="off" required>
<button type="submit">Erase this reader</button>
</form>
<h2>Emails</h2>
${dataTable([{ label: 'Email' }, { label: 'State' }, { label: 'Sent or due' }, { label: 'Since' }], emails, {
  caption: 'Emails, newest first',
  empty: 'No emails yet.',
})}
<p class="muted">* Opens are unreliable: privacy proxies open every email.</p>
<h2>Provider events</h2>
${dataTable([{ label: 'Event' }, { label: 'When' }, { label: 'Detail' }], events, {
  caption: 'Provider events',
  empty: 'No events from the provider.',
})}
<h2>Consent</h2>
<dl class="facts">
<dt>Given</dt><dd>${formatTime(s.consent_at, zone) || 'not recorded'}</dd>
<dt>Through</dt><dd>${s.consent_source ?? '—'}</dd>
<dt>From address</dt><dd>${s.consent_ip ?? '—'}</dd>
<dt>Wording</dt><dd>${s.consent_statement ?? record.consentText ?? (s.consent_text_version ? `version ${s.consent_text_version}` : '—')}</dd>
</dl>
<h2>Audit log</h2>
${dataTable(
  [{ label: 'When' }, { label: 'Who' }, { label: 'What' }],
  audit.map((entry) => [formatTime(entry.at), entry.actor, describeAudit(entry)]),
  { caption: 'Audit entries about this reader', empty: 'Nothing done to them by an operator.' },
)}`
}
