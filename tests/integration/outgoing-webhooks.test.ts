import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it } from 'vitest'
import { EventDispatcher, RETRY_DELAYS_MS } from '../../src/events/dispatch'
import { newSigningSecret } from '../../src/events/sign'
import {
  addEndpoint,
  listEndpoints,
  recentDeliveries,
  replayEvent,
  setEndpointDisabled,
} from '../../src/events/store'
import { checkTarget } from '../../src/events/targets'
import { EVENT_TYPES } from '../../src/events/types'
import { type Logger, silentLogger } from '../../src/lib/logger'
import { api, apiKey } from '../helpers/api'
import { runUntil } from '../helpers/course'
import { ENGINES } from '../helpers/db'
import { createHarness, FIXTURES, type Harness } from '../helpers/harness'
import { postForm, subscribeAndConfirm } from '../helpers/web'
import { startReceiver } from '../helpers/webhook-receiver'

const RESEND_SECRET = `whsec_${randomBytes(24).toString('base64')}`
const ENV = {
  LESSONS_DIR: path.join(FIXTURES, 'lessons-two'),
  NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
  RESEND_WEBHOOK_SECRET: RESEND_SECRET,
}

describe.each(ENGINES)('outgoing webhooks (%s)', (engine) => {
  let h: Harness
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let secret: string
  afterEach(async () => {
    await receiver.close()
    await h.close()
  })

  async function setUp(options: { events?: string[]; logger?: Logger } = {}) {
    h = await createHarness({ engine, start: '2027-01-04T10:00:00Z', env: ENV, logger: options.logger })
    secret = newSigningSecret()
    receiver = await startReceiver(() => secret)
    const endpoint = await addEndpoint(
      h.db,
      { url: receiver.url, events: options.events ?? [], secret },
      h.clock.now(),
    )
    return endpoint
  }
  const deliver = () => h.services.events.runOnce()
  const types = () => receiver.received.map((r) => r.type)

  /** A signed Resend event (a bounce or complaint) through the app's own webhook route. */
  async function resendEvent(type: string, subscriberId: number, data: object = {}) {
    const { rows } = await h.db.query<{ provider_id: string }>(
      `select provider_id from deliveries where subscriber_id = $1 and status = 'sent' order by id desc limit 1`,
      [subscriberId],
    )
    const body = JSON.stringify({
      type,
      created_at: h.clock.now().toISOString(),
      data: { email_id: rows[0]!.provider_id, ...data },
    })
    const id = `msg_${randomBytes(8).toString('hex')}`
    const at = new Date()
    const response = await h.services.web.request('/webhooks/resend', {
      method: 'POST',
      body,
      headers: {
        'svix-id': id,
        'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
        'svix-signature': new Webhook(RESEND_SECRET).sign(id, at, body),
      },
    })
    expect(response.status).toBe(200)
    await h.services.webhooks.whenIdle()
  }

  it('tells in subscriber.created exactly what the signup stored, for each of a group of signups', async () => {
    await setUp({ events: ['subscriber.created'] })
    // Signups that arrive together are stored in one statement: each event must still be its own row's.
    await Promise.all([
      postForm(h, '/subscribe', {
        email: 'g1@example.org',
        name: 'Ann',
        course: 'short',
        timezone: 'Europe/Paris',
      }),
      postForm(h, '/subscribe', {
        email: 'g2@example.org',
        course: 'short',
        timezone: 'UTC',
        newsletter: 'no',
      }),
      postForm(h, '/subscribe', { email: 'g3@example.org', name: 'Cy', course: 'short' }),
    ])
    await deliver()
    const { rows } = await h.db.query<{
      id: number
      email: string
      name: string | null
      timezone: string
      status: string
      newsletter_opt_in: boolean
      created_at: Date
      confirmed_at: Date | null
    }>('select * from subscribers order by id')
    expect(rows).toHaveLength(3)
    const sent = new Map(
      receiver.received.map((r) => [r.payload.data.subscriber.id, r.payload.data.subscriber]),
    )
    for (const row of rows)
      expect(sent.get(row.id)).toEqual({
        id: row.id,
        email: row.email,
        name: row.name,
        timezone: row.timezone,
        status: 'pending',
        newsletter: row.newsletter_opt_in,
        created_at: row.created_at.toISOString(),
        confirmed_at: null,
      })
    expect(rows.map((r) => [r.name, r.timezone, r.newsletter_opt_in])).toEqual([
      ['Ann', 'Europe/Paris', true],
      [null, 'UTC', false],
      ['Cy', 'UTC', true],
    ])
  })

  it('delivers every event type, signed so that standardwebhooks verifies it, each id once', async () => {
    await setUp()
    const key = await apiKey(h)
    const a = await subscribeAndConfirm(h, 'a@example.org', { course: 'short', timezone: 'UTC' })
    await api(h, key, 'POST', `/subscribers/${a.id}/enrolments`, { course: 'follow-up' })
    await api(h, key, 'POST', `/subscribers/${a.id}/enrolments/follow-up/leave`)
    await runUntil(h, '2027-01-20T12:00:00Z', 240)
    await api(h, key, 'POST', `/subscribers/${a.id}/unsubscribe`)
    const b = await subscribeAndConfirm(h, 'b@example.org', { course: 'short', timezone: 'UTC' })
    await resendEvent('email.bounced', b.id, {
      to: ['b@example.org'],
      bounce: { type: 'Permanent', message: 'no such mailbox' },
    })
    const c = await subscribeAndConfirm(h, 'c@example.org', { course: 'short', timezone: 'UTC' })
    await resendEvent('email.complained', c.id)
    // Nothing goes inline with what caused it: the outbox holds the events until a dispatcher runs.
    expect(receiver.attempts).toEqual([])
    await deliver()
    expect(new Set(types())).toEqual(new Set(EVENT_TYPES))
    expect(receiver.received.every((r) => r.verified)).toBe(true)
    const ids = receiver.received.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.every((id) => /^evt_[0-9a-z]+$/.test(id))).toBe(true)
    const created = receiver.received.find((r) => r.type === 'subscriber.created')!
    expect(created.payload).toMatchObject({
      type: 'subscriber.created',
      timestamp: expect.any(String),
      data: { subscriber: { id: a.id, email: 'a@example.org', status: 'pending' } },
    })
    const completed = receiver.received.find((r) => r.type === 'enrolment.completed')!
    expect(completed.payload.data).toMatchObject({ enrolment: { course: 'short' }, subscriber: { id: a.id } })
    const left = receiver.received.find((r) => r.type === 'enrolment.left')!
    expect(left.payload.data).toMatchObject({ enrolment: { course: 'follow-up' } })
    const sent = receiver.received.filter((r) => r.type === 'email.sent')
    expect(sent.some((r) => r.payload.data.email.kind === 'confirmation')).toBe(true)
    expect(
      sent.some((r) => r.payload.data.email.kind === 'lesson' && r.payload.data.email.course === 'short'),
    ).toBe(true)
    expect(receiver.received.find((r) => r.type === 'email.bounced')!.payload.data).toMatchObject({
      subscriber: { id: b.id, email: 'b@example.org' },
      bounce: 'hard',
    })
    // Once delivered, a dispatcher round sends nothing again.
    const before = receiver.attempts.length
    await deliver()
    expect(receiver.attempts.length).toBe(before)
  })

  it('sends only the events an endpoint asked for', async () => {
    await setUp({ events: ['subscriber.confirmed'] })
    await subscribeAndConfirm(h, 'one@example.org', { course: 'short' })
    await deliver()
    expect(types()).toEqual(['subscriber.confirmed'])
  })

  it('keeps retrying a receiver that is down, with growing waits, and loses nothing when it is back', async () => {
    const endpoint = await setUp({ events: ['subscriber.created'] })
    receiver.answerWith(() => 503)
    await postForm(h, '/subscribe', { email: 'wait@example.org', course: 'short' })
    await deliver()
    const first = receiver.attempts.length
    expect(first).toBeGreaterThan(0)
    // Not due yet: nothing is tried again before the first wait (30 s, ±10 %) is over.
    h.clock.advance(20_000)
    await deliver()
    expect(receiver.attempts.length).toBe(first)
    const [log] = await recentDeliveries(h.db, endpoint.id)
    expect(log).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_status: 503,
      last_error: 'answered 503',
    })
    const wait1 = log!.next_attempt_at.getTime() - log!.last_attempt_at!.getTime()
    expect(wait1).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[0]! * 0.9)
    expect(wait1).toBeLessThanOrEqual(RETRY_DELAYS_MS[0]! * 1.1)
    h.clock.advance(15_000)
    await deliver()
    const [second] = await recentDeliveries(h.db, endpoint.id)
    expect(second!.attempts).toBe(2)
    const wait2 = second!.next_attempt_at.getTime() - second!.last_attempt_at!.getTime()
    expect(wait2).toBeGreaterThan(wait1 * 2)
    // Back up: everything that waited arrives, signed, once.
    receiver.answerWith(() => 200)
    h.clock.advance(RETRY_DELAYS_MS[1]! * 1.2)
    await deliver()
    expect(types()).toEqual(['subscriber.created'])
    expect(receiver.received[0]!.verified).toBe(true)
    const [done] = await recentDeliveries(h.db, endpoint.id)
    expect(done).toMatchObject({ status: 'succeeded', attempts: 3, last_status: 200 })
  })

  it('disables an endpoint that fails for about a day, with a log line, and sends what waited once it is on again', async () => {
    const lines: { msg: string; obj: object }[] = []
    const logger = Object.assign(Object.create(silentLogger), {
      warn: (obj: object, msg: string) => lines.push({ obj, msg }),
    }) as Logger
    const endpoint = await setUp({ logger, events: ['subscriber.created'] })
    receiver.answerWith(() => 500)
    await postForm(h, '/subscribe', { email: 'gone@example.org', course: 'short' })
    const start = h.clock.now().getTime()
    for (let i = 0; i <= RETRY_DELAYS_MS.length; i++) {
      await deliver()
      h.clock.advance((RETRY_DELAYS_MS[i] ?? 0) * 1.2)
    }
    const [row] = await listEndpoints(h.db)
    expect(row!.disabled_at).not.toBeNull()
    expect(row!.disabled_reason).toContain('failed 10 times')
    expect(row!.failed).toBe(1)
    expect(h.clock.now().getTime() - start).toBeGreaterThan(20 * 3600_000)
    expect(lines.some((l) => l.msg === 'webhook endpoint disabled: it kept failing')).toBe(true)
    // Disabled: new events are not even queued for it; turned on again, a replay goes out.
    await postForm(h, '/subscribe', { email: 'later@example.org', course: 'short' })
    receiver.answerWith(() => 200)
    await setEndpointDisabled(h.db, endpoint.id, null, h.clock.now())
    const [failed] = await recentDeliveries(h.db, endpoint.id)
    await replayEvent(h.db, failed!.event_id, h.clock.now())
    await deliver()
    expect(receiver.received.map((r) => r.id)).toEqual([failed!.event_id])
  })

  it('replays an event with the same id, so a receiver can drop the duplicate', async () => {
    await setUp({ events: ['subscriber.created'] })
    await postForm(h, '/subscribe', { email: 'again@example.org', course: 'short' })
    await deliver()
    const [first] = receiver.received
    expect(await replayEvent(h.db, first!.id, h.clock.now())).toBe(1)
    await deliver()
    expect(receiver.received.map((r) => r.id)).toEqual([first!.id, first!.id])
    expect(receiver.received[1]!.payload).toEqual(first!.payload)
    expect(receiver.received[1]!.verified).toBe(true)
  })

  it('loses nothing when a process dies between the event and its delivery, or during it', async () => {
    await setUp({ events: ['subscriber.created'] })
    await postForm(h, '/subscribe', { email: 'crash@example.org', course: 'short' })
    // A worker that claimed the delivery and died before answering: its lease runs out, another sends it.
    const dead = new EventDispatcher(
      {
        db: h.db,
        clock: h.clock,
        logger: silentLogger,
        settings: { workerId: 'dead', leaseMs: 60_000, timeoutMs: 5_000, batchSize: 10, allowInternal: true },
      },
      () => new Promise<Response>(() => {}),
    )
    void dead.runOnce()
    await expect
      .poll(
        async () =>
          (await h.db.query(`select 1 from webhook_deliveries where locked_by = 'dead'`)).rows.length,
      )
      .toBe(1)
    await deliver()
    expect(receiver.attempts).toEqual([])
    h.clock.advance(61_000)
    await deliver()
    expect(types()).toEqual(['subscriber.created'])
    // A new process on the same database (the first never ran a dispatcher) sends what was committed.
    const second = await createHarness({ engine, env: ENV, db: h.db, start: h.clock.now().toISOString() })
    await postForm(h, '/subscribe', { email: 'crash2@example.org', course: 'short' })
    await second.services.events.runOnce()
    expect(types()).toEqual(['subscriber.created', 'subscriber.created'])
    second.services.sender.stop()
    await second.services.sender.whenIdle()
    await second.services.events.stop()
    rmSync(second.dir, { recursive: true, force: true })
  })

  it('two workers never deliver one event twice', async () => {
    await setUp({ events: ['subscriber.created'] })
    const key = await apiKey(h)
    for (let i = 0; i < 40; i++)
      await api(h, key, 'POST', '/subscribers', { email: `w${i}@example.org`, course: 'short' })
    const worker = (id: string) =>
      new EventDispatcher({
        db: h.db,
        clock: h.clock,
        logger: silentLogger,
        settings: { workerId: id, leaseMs: 60_000, timeoutMs: 5_000, batchSize: 5, allowInternal: true },
      })
    await Promise.all([worker('w1').runOnce(), worker('w2').runOnce(), worker('w3').runOnce()])
    const ids = receiver.attempts.map((a) => a.id)
    const { rows } = await h.db.query<{ status: string; n: number }>(
      'select status, count(*)::int n from webhook_deliveries group by 1',
    )
    expect(rows).toEqual([{ status: 'succeeded', n: 40 }])
    expect(ids.length).toBe(40)
    expect(new Set(ids).size).toBe(40)
  })

  it('refuses private, loopback and link-local targets unless allowed, and other schemes always', async () => {
    await setUp()
    for (const url of [
      'http://127.0.0.1:9/x',
      'http://localhost:9/x',
      'http://10.1.2.3/x',
      'http://192.168.0.10/x',
      'http://169.254.169.254/latest',
      'http://[::1]:9/x',
      'http://[fe80::1]/x',
      'http://[::ffff:127.0.0.1]/x',
    ]) {
      const check = await checkTarget(url, false)
      expect(check.ok, url).toBe(false)
      if (!check.ok) expect(check.message).toContain('internal address')
      expect((await checkTarget(url, true)).ok, url).toBe(true)
    }
    for (const url of ['ftp://example.org/x', 'file:///etc/passwd', 'http://user:pw@example.org/'])
      expect((await checkTarget(url, true)).ok, url).toBe(false)
    expect((await checkTarget('https://93.184.215.14/hook', false)).ok).toBe(true)
    // A production dispatcher does not call a loopback receiver: the attempt is recorded as refused.
    const production = new EventDispatcher({
      db: h.db,
      clock: h.clock,
      logger: silentLogger,
      settings: { workerId: 'prod', leaseMs: 60_000, timeoutMs: 5_000, batchSize: 10, allowInternal: false },
    })
    await postForm(h, '/subscribe', { email: 'private@example.org', course: 'short' })
    // The confirmation goes out in the background and its sending is an event too (email.sent):
    // every event must exist before the round, or the newest is still waiting when the log is read.
    await h.services.sender.whenIdle()
    await production.runOnce()
    expect(receiver.attempts).toEqual([])
    const log = await recentDeliveries(h.db, (await listEndpoints(h.db))[0]!.id)
    expect(log.map((d) => d.type).sort()).toEqual(['email.sent', 'subscriber.created'])
    for (const delivery of log) expect(delivery.last_error).toContain('internal address')
  })

  it('an erasure removes the events about the person that were not delivered yet', async () => {
    await setUp()
    const key = await apiKey(h)
    const s = await subscribeAndConfirm(h, 'erase@example.org', { course: 'short' })
    await api(h, key, 'DELETE', `/subscribers/${s.id}`)
    await deliver()
    expect(receiver.attempts).toEqual([])
  })
})
