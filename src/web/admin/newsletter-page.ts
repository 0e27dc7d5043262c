import type { Newsletter } from '../../content/types'
import type { issueProgress } from '../../delivery/store/reads'
import type { NewsletterSend } from '../../newsletters/sends'
import { html, type SafeHtml } from '../html'
import { count, formatTime } from './layout'

/** Everything an issue's page shows. */
export interface IssueView {
  issue: Newsletter
  subject: string
  preview: string
  send: NewsletterSend | undefined
  tally: Awaited<ReturnType<typeof issueProgress>>
  /** Readers it would go to now: confirmed, newsletter on. */
  audience: number
  canTest: boolean
  now: Date
}

/** An issue's send state in words: not sent, scheduled for …, sending, sent on … */
export function sendState(send: NewsletterSend | undefined): string {
  if (!send) return 'not sent'
  switch (send.status) {
    case 'scheduled':
      return `scheduled for ${formatTime(send.scheduled_at)}`
    case 'sending':
      return 'sending'
    case 'sent':
      return `sent on ${formatTime(send.finished_at)} to ${count(send.recipients)} readers`
    case 'cancelled':
      return 'cancelled'
  }
}

function progressSection(v: IssueView): SafeHtml {
  const { send, tally } = v
  if (!send) return html``
  const live = send.status === 'scheduled' || send.status === 'sending'
  const waiting = tally.queued + tally.claimed
  return html`<section aria-labelledby="progress-heading"${live ? html` data-progress-url="/admin/newsletters/${v.issue.slug}/progress.json"` : ''}>
<h2 id="progress-heading">Progress</h2>
<p>State: <strong data-field="state" aria-live="polite">${sendState(send)}</strong></p>
<dl class="figures">
<div><dt>Waiting</dt><dd data-field="waiting">${waiting}</dd></div>
<div><dt>Sent</dt><dd data-field="sent">${tally.sent}</dd></div>
<div><dt>Skipped</dt><dd data-field="skipped">${tally.skipped}</dd></div>
<div><dt>Failed</dt><dd data-field="failed">${tally.failed}</dd></div>
</dl>
${
  tally.reasons.length > 0
    ? html`<ul>${tally.reasons.map((r) => html`<li>${r.status} ${r.count}: ${r.reason}</li>`)}</ul>`
    : ''
}
${live ? html`<p class="muted">These figures refresh by themselves every few seconds (or reload the page).</p>` : ''}
</section>`
}

function sendForms(v: IssueView): SafeHtml {
  const { send, audience, issue } = v
  if (send?.status === 'sending')
    return html`<p class="muted">It is being sent; a resumed send would only add the rest.</p>`
  const done = send?.status === 'sent'
  const action = `/admin/newsletters/${issue.slug}/send`
  const again = done
    ? html`<input type="hidden" name="again" value="yes"><p>It was sent already: this reaches only readers who never got it.</p>`
    : ''
  return html`<form method="post" action="${action}" class="card">
<h3>Send now</h3>
${again}
<label class="check"><input type="checkbox" name="confirm" value="yes" required> Yes, send it to ${done ? 'the readers who never got it' : `${count(audience)} readers`} now</label>
<button type="submit">${done ? 'Send to readers who never got it' : 'Send now'}</button>
</form>
${
  send?.status === 'scheduled'
    ? ''
    : html`<form method="post" action="${action}" class="card">
<h3>Schedule</h3>
${again}
<label for="send-at">Send at (UTC)</label>
<input id="send-at" name="at" type="datetime-local" required>
<button type="submit" class="secondary">Schedule</button>
</form>`
}`
}

/** An issue's page: what it is, where its send stands, how it looks, a test copy, and the send itself. */
export function issueBody(v: IssueView, error?: string): SafeHtml {
  const { issue } = v
  const src = `/admin/newsletters/${issue.slug}/email.html`
  const frame = (width: 600 | 375, label: string) =>
    html`<figure class="w${width}"><figcaption class="muted">${label}</figcaption><iframe class="mail" title="${label}" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" src="${src}"></iframe></figure>`
  return html`<p><a href="/admin/newsletters">← Newsletters</a></p>
<h1>${issue.title}</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<dl class="facts">
<dt>Date</dt><dd>${issue.date}</dd>
<dt>Subject</dt><dd>${v.subject}</dd>
<dt>Preview text</dt><dd>${v.preview}</dd>
<dt>Recipients now</dt><dd>${count(v.audience)} readers (confirmed, newsletter on)</dd>
<dt>State</dt><dd>${sendState(v.send)}</dd>
</dl>
${progressSection(v)}
<h2>Send a test</h2>
${
  v.canTest
    ? html`<form method="post" action="/admin/newsletters/${issue.slug}/test" class="card">
<label for="test-to">Send a test to</label>
<input id="test-to" name="to" type="email" autocomplete="email" required>
<button type="submit" class="secondary">Send test</button>
<p class="muted">One copy marked [TEST], as anyone may read it (no personal links). Nobody else gets anything.</p>
</form>`
    : html`<p class="muted">Test copies need the mailer, which this web process was not given.</p>`
}
<h2>Send</h2>
${sendForms(v)}
<h2>As readers get it</h2>
<div class="frames">${frame(600, 'Desktop, 600 px')}${frame(375, 'Phone, 375 px')}</div>`
}
