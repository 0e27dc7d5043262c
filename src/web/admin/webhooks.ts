import type { Hono } from 'hono'
import { EventDispatcher } from '../../events/dispatch'
import { newSigningSecret } from '../../events/sign'
import { addEndpoint, emitTestEvent, recentDeliveries } from '../../events/store'
import { checkTarget, checkTargetUrl } from '../../events/targets'
import { EVENT_TYPES, isEventType } from '../../events/types'
import { systemClock } from '../../lib/clock'
import { html } from '../html'
import { type Admin, adminPage } from './layout'

/**
 * Adding an outgoing webhook endpoint from the admin (as `course webhooks add` does: its signing
 * secret is shown once), and sending one a test event (as `course webhooks test`).
 */
export function webhookEndpointRoutes(app: Hono, admin: Admin): void {
  app.get('/admin/health/endpoints/new', (c) => c.html(formPage(admin, { url: '', events: [] })))

  app.post('/admin/health/endpoints', async (c) => {
    const body = await c.req.parseBody({ all: true })
    const url = typeof body.url === 'string' ? body.url.trim() : ''
    const picked = ([] as unknown[])
      .concat(body.events ?? [])
      .filter((e): e is string => typeof e === 'string')
    const events = picked.filter(isEventType)
    const form = { url, events }
    const shape = checkTargetUrl(url)
    if (!shape.ok) return c.html(formPage(admin, form, shape.message), 400)
    if (events.length !== picked.length)
      return c.html(formPage(admin, form, 'Choose events from the list.'), 400)
    const target = await checkTarget(url, admin.deps.config.outgoingWebhooks.allowInternal)
    if (!target.ok) return c.html(formPage(admin, form, target.message), 400)
    const secret = newSigningSecret()
    const endpoint = await addEndpoint(
      admin.deps.db,
      { url: shape.url.toString(), events, secret },
      admin.now(),
    )
    await admin.audit({ action: 'webhook.add', target: endpoint.url })
    return c.html(
      adminPage({
        site: admin.site,
        title: 'Webhook endpoint added',
        section: 'health',
        notice: null,
        body: html`<h1>Webhook endpoint added</h1>
<p><code>${endpoint.url}</code> receives ${events.length === 0 ? 'every event' : events.join(', ')}.</p>
<p>Its signing secret is shown this once. Give it to the receiver, which verifies each request's <code>webhook-signature</code> with a Standard Webhooks library:</p>
<p><output id="secret"><code>${secret}</code></output></p>
<form method="post" action="/admin/health/endpoints/${endpoint.id}" class="inline"><button type="submit" name="action" value="test">Send a test event</button></form>
<p><a href="/admin/health">Back to sending health</a></p>`,
      }),
    )
  })
}

/** Delivers a `webhook.test` event to one endpoint now; true when it answered 2xx. */
export async function sendTestEvent(admin: Admin, endpointId: number): Promise<boolean> {
  const { db, config } = admin.deps
  // Due now in real time, as the dispatcher below reads it.
  const { eventId, deliveryId } = await emitTestEvent(db, endpointId, systemClock.now())
  const dispatcher = new EventDispatcher({
    db,
    clock: systemClock,
    logger: admin.deps.logger,
    settings: {
      workerId: `${config.workerId}:admin`,
      leaseMs: 60_000,
      timeoutMs: 10_000,
      batchSize: 1,
      allowInternal: config.outgoingWebhooks.allowInternal,
    },
  })
  await dispatcher.deliverNow([deliveryId])
  const log = await recentDeliveries(db, endpointId, 5)
  return log.some((d) => d.event_id === eventId && d.status === 'succeeded')
}

function formPage(admin: Admin, form: { url: string; events: readonly string[] }, error?: string): string {
  return adminPage({
    site: admin.site,
    title: 'Add a webhook endpoint',
    section: 'health',
    notice: null,
    body: html`<h1>Add a webhook endpoint</h1>
${error ? html`<p class="error" role="alert" id="url-error">${error}</p>` : ''}
<form method="post" action="/admin/health/endpoints">
<label for="url">URL (https)</label>
<input id="url" name="url" type="url" required value="${form.url}"${error ? html` aria-invalid="true" aria-describedby="url-error"` : ''}>
<fieldset><legend>Events (none ticked: every event)</legend>
${EVENT_TYPES.map(
  (type) =>
    html`<label class="check"><input type="checkbox" name="events" value="${type}"${form.events.includes(type) ? html` checked` : ''}> <code>${type}</code></label>`,
)}
</fieldset>
<button type="submit">Add endpoint</button>
</form>
<p><a href="/admin/health">Back to sending health</a></p>`,
  })
}
