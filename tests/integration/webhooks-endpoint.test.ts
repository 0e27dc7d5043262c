import { randomBytes } from 'node:crypto'
import type { Hono } from 'hono'
import { Webhook } from 'standardwebhooks'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/lib/logger'
import { adminRoutes } from '../../src/web/admin/routes'
import { createWebApp } from '../../src/web/app'
import { archiveRoutes } from '../../src/web/routes/archive'
import { webhookRoutes } from '../../src/web/routes/webhooks'
import { processEvent, WebhookProcessor } from '../../src/webhooks/processor'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'
import { subscribeAndConfirm } from '../helpers/web'

const SECRET = `whsec_${randomBytes(24).toString('base64')}`

/** Headers as Resend sends them, signed with the reference Standard Webhooks library at real time. */
function signed(body: string, options: { secret?: string; id?: string; at?: Date } = {}) {
  const id = options.id ?? `msg_${randomBytes(10).toString('hex')}`
  const at = options.at ?? new Date()
  return {
    'content-type': 'application/json',
    'svix-id': id,
    'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
    'svix-signature': new Webhook(options.secret ?? SECRET).sign(id, at, body),
  }
}

describe.each(ENGINES)('POST /webhooks/resend (%s)', (engine) => {
  let h: Harness
  let processor: WebhookProcessor
  let app: Hono
  let lesson: { id: number; provider_id: string; subscriber_id: number }

  beforeEach(async () => {
    h = await createHarness({ engine, env: { RESEND_WEBHOOK_SECRET: SECRET } })
    processor = new WebhookProcessor({ db: h.db, clock: h.clock, logger: silentLogger })
    app = createWebApp(h.services.webDeps, [archiveRoutes, webhookRoutes(processor), adminRoutes])
    await subscribeAndConfirm(h, 'reader@example.org')
    const { rows } = await h.db.query<typeof lesson>(
      `select id, provider_id, subscriber_id from deliveries where kind = 'lesson' and status = 'sent'`,
    )
    lesson = rows[0]!
  })
  afterEach(async () => {
    await processor.stop()
    await h.close()
  })

  const opened = () =>
    JSON.stringify({
      type: 'email.opened',
      created_at: h.clock.now().toISOString(),
      data: {
        email_id: lesson.provider_id,
        to: ['reader@example.org'],
        tags: { delivery: String(lesson.id) },
      },
    })
  const post = (body: string, headers: Record<string, string>) =>
    app.request('/webhooks/resend', { method: 'POST', headers, body })
  const events = async () =>
    (
      await h.db.query<{ event_id: string; processed_at: Date | null; delivery_id: number | null }>(
        'select event_id, processed_at, delivery_id from email_events',
      )
    ).rows
  const openCount = async () =>
    (await h.db.query<{ open_count: number }>('select open_count from deliveries where id = $1', [lesson.id]))
      .rows[0]!.open_count

  it('records a genuine event, answers at once, then processes it', async () => {
    const body = opened()
    const headers = signed(body)
    const response = await post(body, headers)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ ok: true, duplicate: false })
    await processor.whenIdle()
    expect(await events()).toEqual([
      { event_id: headers['svix-id'], processed_at: h.clock.now(), delivery_id: lesson.id },
    ])
    expect(await openCount()).toBe(1)
  })

  it('records the same event delivered twice only once (replay by svix-id)', async () => {
    const body = opened()
    const headers = signed(body)
    expect((await post(body, headers)).status).toBe(200)
    const again = await post(body, headers)
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual({ ok: true, duplicate: true })
    // Resend retries with the same id but a fresh timestamp and signature: still the same event.
    const retried = await post(body, signed(body, { id: headers['svix-id'] }))
    expect(await retried.json()).toEqual({ ok: true, duplicate: true })
    await processor.whenIdle()
    expect(await events()).toHaveLength(1)
    expect(await openCount()).toBe(1)
  })

  it('refuses a tampered body with 401 and records nothing', async () => {
    const body = opened()
    const headers = signed(body)
    const response = await post(body.replace('email.opened', 'email.complained'), headers)
    expect(response.status).toBe(401)
    await processor.whenIdle()
    expect(await events()).toEqual([])
    const { rows } = await h.db.query<{ status: string }>('select status from subscribers')
    expect(rows[0]!.status).toBe('confirmed')
  })

  it('refuses a signature made with another secret', async () => {
    const body = opened()
    const response = await post(body, signed(body, { secret: `whsec_${randomBytes(24).toString('base64')}` }))
    expect(response.status).toBe(401)
    expect(await events()).toEqual([])
  })

  it('refuses a stale timestamp (a captured request replayed later)', async () => {
    const body = opened()
    const response = await post(body, signed(body, { at: new Date(Date.now() - 10 * 60 * 1000) }))
    expect(response.status).toBe(401)
    expect(await events()).toEqual([])
  })

  it('refuses a request without signature headers', async () => {
    const response = await post(opened(), { 'content-type': 'application/json' })
    expect(response.status).toBe(401)
    expect(await events()).toEqual([])
  })

  it('acknowledges and ignores event types it does not handle', async () => {
    const body = JSON.stringify({ type: 'contact.created', created_at: '2027-01-04T08:00:00Z', data: {} })
    const response = await post(body, signed(body))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ ok: true, ignored: 'contact.created' })
    expect(await events()).toEqual([])
  })

  it('answers 400 to a genuine request whose body is not JSON or not an event', async () => {
    const broken = '{"type": "email.opened", "data": '
    expect((await post(broken, signed(broken))).status).toBe(400)
    const list = '[1, 2, 3]'
    expect((await post(list, signed(list))).status).toBe(400)
    expect(await events()).toEqual([])
  })

  it('answers 405 to other methods', async () => {
    const response = await app.request('/webhooks/resend')
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST')
  })

  it('processes events recorded before a crash at the next sweep, once', async () => {
    // A processor that never gets to run its queue: the process "died" after answering.
    const dead = new WebhookProcessor({ db: h.db, clock: h.clock, logger: silentLogger })
    dead.enqueue = () => {}
    const crashed = createWebApp(h.services.webDeps, [webhookRoutes(dead)])
    const body = opened()
    const headers = signed(body)
    expect((await crashed.request('/webhooks/resend', { method: 'POST', headers, body })).status).toBe(200)
    expect((await events())[0]!.processed_at).toBeNull()
    expect(await openCount()).toBe(0)

    expect(await processor.sweep()).toBe(1)
    expect((await events())[0]!.processed_at).toEqual(h.clock.now())
    expect(await openCount()).toBe(1)
    // Processing again (a second sweep, another process) changes nothing.
    expect(await processor.sweep()).toBe(0)
    expect(
      await processEvent({ db: h.db, clock: h.clock, logger: silentLogger }, headers['svix-id']),
    ).toBeNull()
    expect(await openCount()).toBe(1)
  })

  it('answers 400 to a signed body nested thousands of levels deep, and records nothing', async () => {
    // As deep as the 16 KB body limit allows, inside an otherwise genuine event.
    const depth = 7000
    const body = opened().replace('"tags":', `"deep":${'['.repeat(depth)}${']'.repeat(depth)},"tags":`)
    expect(body.length).toBeLessThan(16 * 1024)
    const response = await post(body, signed(body))
    expect(response.status).toBe(400)
    expect((await response.json()).error).toMatch(/nested too deeply/)
    expect(await events()).toEqual([])
    // The next genuine event is still taken.
    const next = opened()
    expect((await post(next, signed(next))).status).toBe(200)
  })

  it('keeps unprocessed events for the sweep when the processor starts', async () => {
    const dead = new WebhookProcessor({ db: h.db, clock: h.clock, logger: silentLogger })
    dead.enqueue = () => {}
    const crashed = createWebApp(h.services.webDeps, [webhookRoutes(dead)])
    for (let i = 0; i < 3; i++) {
      const body = opened()
      await crashed.request('/webhooks/resend', { method: 'POST', headers: signed(body), body })
    }
    processor.start(60_000)
    await processor.whenIdle()
    expect((await events()).every((e) => e.processed_at !== null)).toBe(true)
    expect(await openCount()).toBe(3)
  })
})

describe.each(ENGINES)('webhooks without a secret (%s)', (engine) => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })

  it('answers 503 with a clear message and records nothing', async () => {
    h = await createHarness({ engine })
    const processor = new WebhookProcessor({ db: h.db, clock: h.clock, logger: silentLogger })
    const app = createWebApp(h.services.webDeps, [webhookRoutes(processor)])
    const body = JSON.stringify({ type: 'email.complained', data: { to: ['a@example.org'] } })
    const response = await app.request('/webhooks/resend', { method: 'POST', headers: signed(body), body })
    expect(response.status).toBe(503)
    expect((await response.json()).error).toContain('RESEND_WEBHOOK_SECRET')
    const { rows } = await h.db.query('select 1 from email_events')
    expect(rows).toEqual([])
  })

  it('answers 503 when the secret is not a signing secret', async () => {
    h = await createHarness({ engine, env: { RESEND_WEBHOOK_SECRET: 'my webhook password' } })
    const processor = new WebhookProcessor({ db: h.db, clock: h.clock, logger: silentLogger })
    const app = createWebApp(h.services.webDeps, [webhookRoutes(processor)])
    const body = '{}'
    const response = await app.request('/webhooks/resend', { method: 'POST', headers: signed(body), body })
    expect(response.status).toBe(503)
    expect((await response.json()).error).toContain('whsec_')
  })
})
