import type { Hono } from 'hono'
import { countDue, readQueueSummary } from '../../delivery/store/reads'
import { readThrottle, sendingPausedUntil } from '../../delivery/throttle'
import {
  findEndpoint,
  listEndpoints,
  recentDeliveries,
  removeEndpoint,
  setEndpointDisabled,
} from '../../events/store'
import { html } from '../html'
import {
  type Admin,
  adminPage,
  count,
  dataTable,
  formatTime,
  formFields,
  idParam,
  noticeFor,
  redirectDone,
} from './layout'
import { sendTestEvent } from './webhooks'

const NOTICES: Record<string, string> = {
  removed: 'The webhook endpoint is removed, with its deliveries.',
  disabled: 'The webhook endpoint is turned off: its deliveries wait until it is on again.',
  enabled: 'The webhook endpoint is on again: what waited goes now.',
  missing: 'There is no such webhook endpoint (removed meanwhile?).',
  tested: 'The test event was delivered: the endpoint answered 2xx.',
  'test-failed':
    'The endpoint did not accept the test event (its answer is in the recent deliveries); the workers retry it.',
}

/** Recent deliveries shown under each webhook endpoint. */
const RECENT = 10

/**
 * GET /admin/health: whether sending runs (a pause and its reason), the throttle's rate in force, what
 * is due and waiting, open batches, failures, and the outgoing webhook endpoints with their recent
 * deliveries (turn one off or on, or remove it).
 */
export function healthRoutes(app: Hono, admin: Admin): void {
  const { deps } = admin
  app.get('/admin/health', async (c) => {
    const now = admin.now()
    const [paused, throttle, due, summary, endpoints] = await Promise.all([
      sendingPausedUntil(deps.db, now),
      readThrottle(deps.db),
      countDue(deps.db, now),
      readQueueSummary(deps.db),
      listEndpoints(deps.db),
    ])
    const waiting = new Map<string, number>()
    for (const row of summary.deliveries)
      if (row.status === 'queued' || row.status === 'claimed')
        waiting.set(row.kind, (waiting.get(row.kind) ?? 0) + row.n)
    const recent = await Promise.all(endpoints.map((e) => recentDeliveries(deps.db, e.id, RECENT)))
    const endpointSections = endpoints.map((e, i) => {
      const on = e.disabled_at === null
      const rows = (recent[i] ?? []).map((d) => [
        d.type,
        d.status,
        d.attempts,
        d.last_status === null ? (d.last_error ?? '') : `HTTP ${d.last_status}`,
        formatTime(d.last_attempt_at ?? d.next_attempt_at),
      ])
      return html`<section class="card" aria-labelledby="endpoint-${e.id}">
<h3 id="endpoint-${e.id}"><code>${e.url}</code></h3>
<p><span class="badge${on ? ' good' : ' bad'}">${on ? 'on' : 'off'}</span> ${e.events.length === 0 ? 'every event' : e.events.join(', ')}${e.disabled_reason ? ` · turned off: ${e.disabled_reason}` : ''}</p>
<p>${count(e.succeeded)} delivered, ${count(e.pending)} waiting, ${count(e.failed)} failed${e.last_attempt_at ? ` · last attempt ${formatTime(e.last_attempt_at)}` : ''}</p>
${dataTable(
  [
    { label: 'Event' },
    { label: 'State' },
    { label: 'Attempts', numeric: true },
    { label: 'Answer' },
    { label: 'When' },
  ],
  rows,
  { caption: `Recent deliveries to ${e.url}`, empty: 'No deliveries yet.' },
)}
<form method="post" action="/admin/health/endpoints/${e.id}" class="inline">
<button type="submit" name="action" value="${on ? 'disable' : 'enable'}" class="secondary">${on ? 'Turn off' : 'Turn on'}<span class="visually-hidden"> ${e.url}</span></button>
<button type="submit" name="action" value="test" class="secondary">Send a test event<span class="visually-hidden"> to ${e.url}</span></button>
<button type="submit" name="action" value="remove" class="secondary">Remove<span class="visually-hidden"> ${e.url}</span></button>
</form>
</section>`
    })
    return c.html(
      adminPage({
        site: admin.site,
        title: 'Sending health',
        section: 'health',
        notice: noticeFor(c, NOTICES),
        body: html`<h1>Sending health</h1>
${
  paused
    ? html`<p class="error" role="alert">Sending is paused until ${formatTime(paused.until)}: ${paused.reason ?? 'no reason given'}.</p>`
    : html`<p><span class="badge good">running</span> Sending is not paused.</p>`
}
<dl class="figures">
<div><dt>Rate in force</dt><dd>${throttle ? `${throttle.ratePerSecond}/s` : '—'}<small>configured ${throttle?.configuredRate ?? deps.config.resend.rateLimit}/s (requests to the provider)</small></dd></div>
<div><dt>Due now</dt><dd>${count(due)}</dd></div>
${[...waiting].map(([kind, n]) => html`<div><dt>Waiting: ${kind}</dt><dd>${count(n)}</dd></div>`)}
<div><dt>Open batches</dt><dd>${count(summary.batches.open)}<small>${summary.batches.retrying} waiting to retry${summary.batches.next_retry ? `, next ${formatTime(summary.batches.next_retry)}` : ''}</small></dd></div>
</dl>
<h2>Failures</h2>
${dataTable(
  [{ label: 'Email' }, { label: 'Count', numeric: true }, { label: 'Reason' }],
  summary.failures.map((f) => [`${f.kind} ${f.course ?? ''} ${f.item}`.trim(), f.n, f.last_error]),
  { caption: 'Most frequent failures', empty: 'No email failed for good.' },
)}
<h2>Webhook endpoints</h2>
${endpoints.length === 0 ? html`<p class="muted">None yet.</p>` : endpointSections}
<p><a href="/admin/health/endpoints/new">Add a webhook endpoint</a> (or <code>npm run course -- webhooks add &lt;url&gt;</code>)</p>`,
      }),
    )
  })

  app.post('/admin/health/endpoints/:id', async (c) => {
    const id = idParam(c.req.param('id'))
    const endpoint = id === undefined ? undefined : await findEndpoint(deps.db, id)
    if (!endpoint) return redirectDone(c, '/admin/health', 'missing')
    const action = (await formFields(c))('action')
    const now = admin.now()
    if (action === 'remove') {
      await removeEndpoint(deps.db, endpoint.id)
      await admin.audit({ action: 'webhook.remove', target: endpoint.url })
      return redirectDone(c, '/admin/health', 'removed')
    }
    if (action === 'test') {
      const ok = await sendTestEvent(admin, endpoint.id)
      await admin.audit({ action: 'webhook.test', target: endpoint.url })
      return redirectDone(c, '/admin/health', ok ? 'tested' : 'test-failed')
    }
    if (action !== 'disable' && action !== 'enable') return c.text('Unknown action.', 400)
    const disable = action === 'disable'
    await setEndpointDisabled(
      deps.db,
      endpoint.id,
      disable ? { at: now, reason: 'turned off in the admin' } : null,
      now,
    )
    await admin.audit({ action: disable ? 'webhook.disable' : 'webhook.enable', target: endpoint.url })
    return redirectDone(c, '/admin/health', disable ? 'disabled' : 'enabled')
  })
}
