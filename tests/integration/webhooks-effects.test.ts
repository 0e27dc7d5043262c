import { randomBytes } from 'node:crypto'
import type { Hono } from 'hono'
import { Webhook } from 'standardwebhooks'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/lib/logger'
import { eraseSubscriber } from '../../src/privacy/privacy'
import { createWebApp } from '../../src/web/app'
import { webhookRoutes } from '../../src/web/routes/webhooks'
import { WebhookProcessor } from '../../src/webhooks/processor'
import { runUntil } from '../helpers/course'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'
import { postForm, subscribeAndConfirm } from '../helpers/web'

const SECRET = `whsec_${randomBytes(24).toString('base64')}`
const READER = 'reader@example.org'

interface Delivery {
  id: number
  subscriber_id: number
  kind: string
  item: string
  status: string
  provider_id: string | null
  delivered_at: Date | null
  opened_at: Date | null
  clicked_at: Date | null
  bounced_at: Date | null
  complained_at: Date | null
  open_count: number
  click_count: number
  last_error: string | null
}

describe.each(ENGINES)('webhook event effects (%s)', (engine) => {
  let h: Harness
  let processor: WebhookProcessor
  let app: Hono
  let reader: number
  let lesson: Delivery

  beforeEach(async () => {
    h = await createHarness({ engine, env: { RESEND_WEBHOOK_SECRET: SECRET } })
    processor = new WebhookProcessor({ db: h.db, clock: h.clock, logger: silentLogger })
    app = createWebApp(h.services.webDeps, [webhookRoutes(processor)])
    reader = (await subscribeAndConfirm(h, READER)).id
    lesson = (await deliveriesOf(reader)).find((d) => d.kind === 'lesson' && d.status === 'sent')!
  })
  afterEach(async () => {
    await processor.stop()
    await h.close()
  })

  async function deliveriesOf(subscriberId: number): Promise<Delivery[]> {
    const { rows } = await h.db.query<Delivery>(
      'select * from deliveries where subscriber_id = $1 order by id',
      [subscriberId],
    )
    return rows
  }
  const delivery = async (id: number) =>
    (await h.db.query<Delivery>('select * from deliveries where id = $1', [id])).rows[0]!
  const subscriber = async (id: number) =>
    (
      await h.db.query<{ status: string; soft_bounces: number; unsubscribed_at: Date | null }>(
        'select status, soft_bounces, unsubscribed_at from subscribers where id = $1',
        [id],
      )
    ).rows[0]!

  /** Sends one signed event through the route and waits until it is processed. */
  async function send(type: string, target: { provider_id: string | null } | null, data: object = {}) {
    const body = JSON.stringify({
      type,
      created_at: h.clock.now().toISOString(),
      data: { email_id: target?.provider_id ?? 'unknown-id', to: [READER], ...data },
    })
    const id = `msg_${randomBytes(10).toString('hex')}`
    const at = new Date()
    const response = await app.request('/webhooks/resend', {
      method: 'POST',
      body,
      headers: {
        'svix-id': id,
        'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
        'svix-signature': new Webhook(SECRET).sign(id, at, body),
      },
    })
    expect(response.status).toBe(200)
    await processor.whenIdle()
    return id
  }

  /** Another email that went to the reader (for bounce runs across several emails). */
  async function sentNewsletter(slug: string): Promise<Delivery> {
    const { rows } = await h.db.query<{ id: number }>(
      `insert into deliveries (subscriber_id, kind, item, status, due_at, sent_at, provider_id)
       values ($1, 'newsletter', $2, 'sent', $3, $3, $4) returning id`,
      [reader, slug, h.clock.now(), `prov-${slug}`],
    )
    return delivery(rows[0]!.id)
  }

  const queuedLessons = async (id: number) =>
    (await deliveriesOf(id)).filter((d) => d.kind === 'lesson' && d.status === 'queued')

  it('email.delivered sets delivered_at once and ends a run of soft bounces', async () => {
    await h.db.query('update subscribers set soft_bounces = 2 where id = $1', [reader])
    const first = h.clock.now()
    await send('email.delivered', lesson)
    h.clock.advance(60_000)
    await send('email.delivered', lesson)
    expect((await delivery(lesson.id)).delivered_at).toEqual(first)
    expect((await subscriber(reader)).soft_bounces).toBe(0)
  })

  it('email.opened and email.clicked count every report and keep the first time and the link', async () => {
    const first = h.clock.now()
    await send('email.opened', lesson)
    h.clock.advance(60_000)
    await send('email.opened', lesson)
    const clickId = await send('email.clicked', lesson, {
      click: { link: 'https://example.org/guide?x=1', ipAddress: '192.0.2.1', userAgent: 'test' },
    })
    const d = await delivery(lesson.id)
    expect(d).toMatchObject({ open_count: 2, opened_at: first, click_count: 1, clicked_at: h.clock.now() })
    const { rows } = await h.db.query<{ link: string; delivery_id: number; subscriber_id: number }>(
      'select link, delivery_id, subscriber_id from email_events where event_id = $1',
      [clickId],
    )
    expect(rows[0]).toEqual({
      link: 'https://example.org/guide?x=1',
      delivery_id: lesson.id,
      subscriber_id: reader,
    })
  })

  it('a hard bounce stops all mail at once: the next scheduled lesson never goes out', async () => {
    const other = (await subscribeAndConfirm(h, 'other@example.org')).id
    expect(await queuedLessons(reader)).toHaveLength(1)
    const bouncedAt = h.clock.now()
    await send('email.bounced', lesson, {
      bounce: { type: 'Permanent', subType: 'General', message: 'no such user' },
    })

    expect(await subscriber(reader)).toMatchObject({ status: 'bounced', unsubscribed_at: bouncedAt })
    expect(await queuedLessons(reader)).toEqual([])
    expect((await delivery(lesson.id)).bounced_at).toEqual(bouncedAt)

    await runUntil(h, '2027-01-16T12:00:00Z', 180)
    const mail = await h.outbox()
    expect(mail.filter((m) => m.to === READER)).toHaveLength(2) // confirmation and day 0 only
    expect(mail.filter((m) => m.to === 'other@example.org').length).toBeGreaterThan(3)
    expect((await subscriber(other)).status).toBe('confirmed')
  })

  it('three soft bounces in a row make a hard one; repeats of one email count once', async () => {
    await send('email.bounced', lesson, { bounce: { type: 'Transient', message: 'mailbox full' } })
    await send('email.bounced', lesson, { bounce: { type: 'Transient', message: 'mailbox full' } })
    expect(await subscriber(reader)).toMatchObject({ status: 'confirmed', soft_bounces: 1 })
    await send('email.bounced', await sentNewsletter('one'), { bounce: { type: 'Transient' } })
    expect(await subscriber(reader)).toMatchObject({ status: 'confirmed', soft_bounces: 2 })
    expect(await queuedLessons(reader)).toHaveLength(1)
    await send('email.bounced', await sentNewsletter('two'), { bounce: { type: 'Transient' } })
    expect(await subscriber(reader)).toMatchObject({ status: 'bounced', soft_bounces: 3 })
    expect(await queuedLessons(reader)).toEqual([])
  })

  it('a delivery between soft bounces starts the count again', async () => {
    await send('email.bounced', lesson, { bounce: { type: 'Transient' } })
    await send('email.bounced', await sentNewsletter('one'), { bounce: { type: 'Transient' } })
    await send('email.delivered', await sentNewsletter('two'))
    await send('email.bounced', await sentNewsletter('three'), { bounce: { type: 'Transient' } })
    expect(await subscriber(reader)).toMatchObject({ status: 'confirmed', soft_bounces: 1 })
  })

  it('a complaint stops all mail until they subscribe again through the form and confirm', async () => {
    const oldToken = await oldConfirmationToken()
    h.clock.advance(60 * 60 * 1000)
    const complainedAt = h.clock.now()
    await send('email.complained', lesson)
    expect(await subscriber(reader)).toMatchObject({ status: 'complained', unsubscribed_at: complainedAt })
    expect((await delivery(lesson.id)).complained_at).toEqual(complainedAt)
    expect(await queuedLessons(reader)).toEqual([])

    // An old confirmation link does not bring them back, nor does a bounce downgrade the complaint.
    expect((await postForm(h, '/confirm', { token: oldToken })).status).not.toBe(200)
    await send('email.bounced', lesson, { bounce: { type: 'Permanent' } })
    expect((await subscriber(reader)).status).toBe('complained')

    // Subscribing again and confirming the new email does.
    h.clock.advance(60 * 60 * 1000)
    await subscribeAndConfirm(h, READER)
    expect((await subscriber(reader)).status).toBe('confirmed')
    // A late report about the email from before they came back does not undo the new confirmation.
    await send('email.complained', lesson)
    expect((await subscriber(reader)).status).toBe('confirmed')
  })

  async function oldConfirmationToken(): Promise<string> {
    const confirmation = (await h.outbox()).find((m) => m.to === READER && m.subject.includes('Confirm'))!
    return new URL(confirmation.link('/confirm')!).searchParams.get('token')!
  }

  it('email.failed marks the delivery failed with the reason and leaves the person alone', async () => {
    await send('email.failed', lesson, { failed: { reason: 'reached_daily_quota' } })
    expect(await delivery(lesson.id)).toMatchObject({
      status: 'failed',
      last_error: 'provider failed: reached_daily_quota',
    })
    expect((await subscriber(reader)).status).toBe('confirmed')
  })

  it('email.failed for a send not recorded yet waits for the record, then marks it failed', async () => {
    // The provider answered and reported the failure before our write of the outcome: the row is
    // still claimed and has no provider id yet, so the event is found by its tags.
    await h.db.query(`update deliveries set status = 'claimed', provider_id = null where id = $1`, [
      lesson.id,
    ])
    const id = await send('email.failed', null, {
      failed: { reason: 'reached_daily_quota' },
      tags: { subscriber: String(reader), delivery: String(lesson.id) },
    })
    const unprocessed = async () =>
      (await h.db.query('select 1 from email_events where event_id = $1 and processed_at is null', [id])).rows
        .length
    expect((await delivery(lesson.id)).status).toBe('claimed')
    expect(await unprocessed()).toBe(1)
    // The sender records its outcome ("sent"); the next sweep applies the event on top of it.
    await h.db.query(`update deliveries set status = 'sent' where id = $1`, [lesson.id])
    expect(await processor.sweep()).toBe(1)
    expect(await delivery(lesson.id)).toMatchObject({
      status: 'failed',
      last_error: 'provider failed: reached_daily_quota',
    })
    expect(await unprocessed()).toBe(0)
  })

  it('email.suppressed marks the delivery failed and stops mail to the address', async () => {
    await send('email.suppressed', lesson, {
      suppressed: { type: 'OnAccountSuppressionList', message: 'bounced' },
    })
    expect((await delivery(lesson.id)).status).toBe('failed')
    expect((await subscriber(reader)).status).toBe('bounced')
    expect(await queuedLessons(reader)).toEqual([])
  })

  it('email.delivery_delayed is recorded and changes nothing', async () => {
    const before = await delivery(lesson.id)
    const id = await send('email.delivery_delayed', lesson)
    const { rows } = await h.db.query<{ type: string; delivery_id: number }>(
      'select type, delivery_id from email_events where event_id = $1 and processed_at is not null',
      [id],
    )
    expect(rows).toEqual([{ type: 'email.delivery_delayed', delivery_id: lesson.id }])
    expect(await delivery(lesson.id)).toEqual(before)
  })

  it('matches by the delivery tag (either shape) when the provider id is not stored yet', async () => {
    await h.db.query('update deliveries set provider_id = null where id = $1', [lesson.id])
    await send('email.opened', null, {
      tags: [
        { name: 'kind', value: 'lesson' },
        { name: 'subscriber', value: String(reader) },
        { name: 'delivery', value: String(lesson.id) },
      ],
    })
    await send('email.opened', null, { tags: { subscriber: String(reader), delivery: String(lesson.id) } })
    expect((await delivery(lesson.id)).open_count).toBe(2)
    // A tag naming someone else's delivery is not trusted.
    await send('email.opened', null, {
      tags: { subscriber: String(reader + 1000), delivery: String(lesson.id) },
    })
    expect((await delivery(lesson.id)).open_count).toBe(2)
  })

  it('still stops mail when the email is unknown but the recipient is a subscriber', async () => {
    await send('email.complained', null, { to: [`Reader <${READER.toUpperCase()}>`] })
    expect((await subscriber(reader)).status).toBe('complained')
  })

  it('processes events about strangers without matching anything', async () => {
    const id = await send('email.bounced', null, {
      to: ['stranger@example.net'],
      bounce: { type: 'Permanent' },
    })
    const { rows } = await h.db.query(
      'select delivery_id, subscriber_id from email_events where event_id = $1',
      [id],
    )
    expect(rows).toEqual([{ delivery_id: null, subscriber_id: null }])
    expect((await subscriber(reader)).status).toBe('confirmed')
    // Nobody could ever ask for it to be erased: the stranger's address is not kept.
    const kept = await h.db.query<{ payload: unknown; detail: string | null }>(
      'select payload, detail from email_events where event_id = $1',
      [id],
    )
    expect(JSON.stringify(kept.rows)).not.toContain('stranger@example.net')
    expect(kept.rows[0]!.payload).toEqual({
      type: 'email.bounced',
      created_at: h.clock.now().toISOString(),
      data: { email_id: 'unknown-id' },
    })
  })

  it('keeps no trace of an erased reader when their email reports back later', async () => {
    await eraseSubscriber(h.db, READER, h.clock.now())
    const id = await send('email.clicked', lesson, {
      click: { link: 'https://course.example.org/preferences?token=abc' },
      bounce: { message: `550 <${READER}> unknown` },
    })
    const { rows } = await h.db.query('select * from email_events where event_id = $1', [id])
    expect(rows).toHaveLength(1)
    expect(JSON.stringify(rows)).not.toContain(READER)
    expect(JSON.stringify(rows)).not.toContain('token=abc')
  })
})
