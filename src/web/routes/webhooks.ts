import type { Context, Hono } from 'hono'
import { parseEmailEvent } from '../../webhooks/events'
import type { WebhookProcessor } from '../../webhooks/processor'
import { recordEvent } from '../../webhooks/store'
import { checkWebhookSecret, createWebhookVerifier, type SignatureHeaders } from '../../webhooks/verify'
import type { WebDeps } from '../deps'

export const WEBHOOK_PATH = '/webhooks/resend'

/** Resend sends the Standard Webhooks headers with the `svix-` prefix; the standard names work too. */
function signatureHeaders(c: Context): SignatureHeaders {
  return {
    id: c.req.header('svix-id') ?? c.req.header('webhook-id'),
    timestamp: c.req.header('svix-timestamp') ?? c.req.header('webhook-timestamp'),
    signature: c.req.header('svix-signature') ?? c.req.header('webhook-signature'),
  }
}

/**
 * POST /webhooks/resend: verifies the signature over the raw body, records the event once (by its
 * `svix-id`), answers at once, and leaves the work to `processor`. Refused requests record nothing.
 * Without RESEND_WEBHOOK_SECRET nothing is accepted (503): unsigned events could unsubscribe anyone.
 *
 * Answers: 200 recorded (or a duplicate, or a type this project ignores), 400 signed but not an event,
 * 401 bad, missing or stale signature, 503 no usable secret. Resend retries anything but a 2xx.
 */
export function webhookRoutes(processor: WebhookProcessor): (app: Hono, deps: WebDeps) => void {
  return (app, deps) => {
    const secret = deps.config.resend.webhookSecret
    const problem = checkWebhookSecret(secret)
    if (problem === 'invalid')
      deps.logger.error('RESEND_WEBHOOK_SECRET is not a signing secret (whsec_…): webhooks are refused')
    const verifier = problem === null && secret ? createWebhookVerifier(secret) : null
    const unavailable =
      problem === 'missing'
        ? 'Webhooks are disabled: set RESEND_WEBHOOK_SECRET to the signing secret of the Resend webhook.'
        : 'Webhooks are disabled: RESEND_WEBHOOK_SECRET is not a valid signing secret (it starts with whsec_).'

    app.post(WEBHOOK_PATH, async (c) => {
      if (!verifier) return c.json({ error: unavailable }, 503)
      // The signature covers the exact bytes: read the text before anything parses it.
      const body = await c.req.text()
      const headers = signatureHeaders(c)
      const verdict = verifier.verify(body, headers)
      if (!verdict.ok) {
        if (verdict.reason === 'malformed') return c.json({ error: `Not an event: ${verdict.message}.` }, 400)
        deps.logger.warn({ reason: verdict.message }, 'webhook refused: signature not valid')
        return c.json({ error: 'Invalid or expired signature.' }, 401)
      }
      const parsed = parseEmailEvent(verdict.payload)
      if (parsed.kind === 'malformed') return c.json({ error: `Not an event: ${parsed.reason}.` }, 400)
      if (parsed.kind === 'ignored') return c.json({ ok: true, ignored: parsed.type })
      const eventId = headers.id as string
      const recorded = await recordEvent(deps.db, eventId, parsed.event, verdict.payload, deps.clock.now())
      deps.logger.info(
        { eventId, type: parsed.event.type, providerId: parsed.event.emailId, duplicate: !recorded },
        'webhook received',
      )
      if (recorded) processor.enqueue(eventId)
      return c.json({ ok: true, duplicate: !recorded })
    })
    app.all(WEBHOOK_PATH, (c) => {
      c.header('Allow', 'POST')
      return c.json({ error: 'This address answers POST only.' }, 405)
    })
  }
}
