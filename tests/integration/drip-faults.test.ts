import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { initThrottle } from '../../src/delivery/throttle'
import { createResendMailer } from '../../src/mail/resend-mailer'
import { shortCourse } from '../helpers/course'
import { ENGINES } from '../helpers/db'
import { type FakeResend, startFakeResend } from '../helpers/fake-resend'
import type { Harness } from '../helpers/harness'
import { deliveryStates, seedDueReaders } from '../helpers/seed'

const T0 = new Date('2027-01-04T09:00:00Z')

describe.each(ENGINES)('exactly once through the real Resend SDK, under faults (%s)', (engine) => {
  let fake: FakeResend
  let h: Harness
  beforeAll(async () => {
    fake = await startFakeResend()
  })
  afterAll(async () => {
    await fake.close()
  })
  /**
   * The course with the real SDK pointed at the fake. The request timeout is generous, so that a busy
   * machine never turns an ordinary answer into a failed attempt; the timeout test sets its own.
   */
  const course = (timeoutMs = 10_000) =>
    shortCourse({
      engine,
      start: T0.toISOString(),
      env: { SEND_BATCH_SIZE: '10', MAX_ATTEMPTS: '5' },
      mailer: () => createResendMailer({ apiKey: 're_test', baseUrl: fake.url, timeoutMs }),
    })
  beforeEach(async () => {
    fake.reset()
    h = await course()
  })
  afterEach(async () => {
    await h.close()
  })

  /** Ticks (moving the clock past any backoff) until nothing waits. */
  async function drain(maxTicks = 40) {
    for (let i = 0; i < maxTicks; i++) {
      await h.tick()
      const { rows } = await h.db.query<{ n: number }>(
        `select count(*)::int as n from deliveries where status in ('queued', 'claimed')`,
      )
      const waiting = await h.db.query<{ n: number }>(
        `select count(*)::int as n from deliveries where status in ('queued', 'claimed') and item = 'start'`,
      )
      if (waiting.rows[0]!.n === 0 && rows[0]!.n >= 0) return
      h.clock.advance(2 * 60 * 60 * 1000)
    }
  }

  /** Every seeded reader got the lesson exactly once, and the database agrees with the provider. */
  async function expectExactlyOnce(count: number) {
    const starts = fake.sent.filter((email) =>
      email.tags.some((t) => t.name === 'lesson' && t.value === 'start'),
    )
    const perAddress = new Map<string, number>()
    for (const email of starts) perAddress.set(email.to[0]!, (perAddress.get(email.to[0]!) ?? 0) + 1)
    expect(perAddress.size).toBe(count)
    expect([...perAddress.values()].every((n) => n === 1)).toBe(true)
    expect(await deliveryStates(h.db, 'lesson', 'start')).toEqual({ sent: count })
    const { rows } = await h.db.query<{ provider_id: string }>(
      `select provider_id from deliveries where item = 'start'`,
    )
    const ids = new Set(starts.map((email) => email.id))
    for (const row of rows) expect(ids.has(row.provider_id)).toBe(true)
  }

  it('sends a batch with the headers, parts and tags webhooks need', async () => {
    await seedDueReaders(h.db, { count: 3, item: 'start', dueAt: T0 })
    await h.tick()
    await expectExactlyOnce(3)
    const email = fake.sent[0]!
    expect(email.path).toBe('/emails/batch')
    expect(email.html).toContain('<html')
    expect(email.text).toContain('Start here')
    expect(email.headers['List-Unsubscribe']).toMatch(
      /^<https:\/\/course\.example\.org\/unsubscribe\?token=[^>]+>/,
    )
    expect(email.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click')
    expect(email.tags.map((t) => t.name).sort()).toEqual([
      'course',
      'delivery',
      'kind',
      'lesson',
      'subscriber',
    ])
    expect(fake.requests.every((r) => r.idempotencyKey?.startsWith('course-'))).toBe(true)
  })

  it.each([
    ['a 500', { type: 'status', status: 500 } as const],
    ['a 503', { type: 'status', status: 503 } as const],
    ['a dropped connection', { type: 'drop' } as const],
    ['a crash after the provider accepted', { type: 'crash-after-accept' } as const],
    ['an answer slower than the timeout', { type: 'delay', ms: 3000 } as const],
  ])('retries after %s with the same idempotency key and sends each email once', async (_name, fault) => {
    if (fault.type === 'delay') {
      await h.close()
      h = await course(1000)
    }
    await seedDueReaders(h.db, { count: 25, item: 'start', dueAt: T0 })
    fake.inject({ fault, times: 2 })
    await drain()
    // A slow request may still be open on the fake's side after the client gave up on it.
    while (fake.inFlightCount() > 0) await new Promise((resolve) => setTimeout(resolve, 20))
    await drain()
    await expectExactlyOnce(25)
    // The failed requests were retried under the keys they first used.
    const keys = fake.requests.map((r) => r.idempotencyKey)
    const failedKeys = fake.requests
      .filter((r) => r.status === 'dropped' || (typeof r.status === 'number' && r.status >= 500))
      .map((r) => r.idempotencyKey)
    for (const key of failedKeys) expect(keys.filter((k) => k === key).length).toBeGreaterThan(1)
  })

  it('waits out 429s (retry-after) and loses nothing', async () => {
    await h.close()
    // The provider's window is real time, so the sender must really wait here.
    h = await shortCourse({
      engine,
      start: T0.toISOString(),
      realClock: 'system',
      env: { SEND_BATCH_SIZE: '10' },
      mailer: () => createResendMailer({ apiKey: 're_test', baseUrl: fake.url }),
    })
    fake.setRateLimit(2)
    // Another sender on the same API key has used up the provider's second: it answers 429 twice.
    fake.inject({ fault: { type: 'status', status: 429 }, times: 2 })
    await seedDueReaders(h.db, { count: 60, item: 'start', dueAt: T0 })
    await drain()
    expect(fake.count429()).toBe(2)
    await expectExactlyOnce(60)
  })

  it("follows the limit in the provider's first answer and puts no call too many into its second", async () => {
    await h.close()
    h = await shortCourse({
      engine,
      start: T0.toISOString(),
      realClock: 'system',
      env: { SEND_BATCH_SIZE: '10' },
      mailer: () => createResendMailer({ apiKey: 're_test', baseUrl: fake.url }),
    })
    fake.setRateLimit(2)
    await seedDueReaders(h.db, { count: 60, item: 'start', dueAt: T0 })
    await h.db.query('update send_control set rate_per_second = 50') // faster than the provider allows
    await drain()
    // The first answer says 2 a second; from then on, the shared rate and this sender's window keep
    // every second's calls to two, however the calls travelled.
    expect(fake.count429()).toBe(0)
    await expectExactlyOnce(60)
  })

  it('lowers its shared rate to the limit the provider reports in ratelimit-* headers', async () => {
    fake.setRateLimit(3)
    await seedDueReaders(h.db, { count: 2, item: 'start', dueAt: T0 })
    await h.tick()
    const { rows } = await h.db.query<{ rate_per_second: number }>('select rate_per_second from send_control')
    expect(rows[0]!.rate_per_second).toBe(3)
    await expectExactlyOnce(2)
  })

  it('keeps the adapted rate across restarts, follows the provider back up to the setting, and applies a new setting', async () => {
    const rate = async () =>
      (await h.db.query<{ rate_per_second: number }>('select rate_per_second from send_control')).rows[0]!
        .rate_per_second
    fake.setRateLimit(3)
    await seedDueReaders(h.db, { count: 2, item: 'start', dueAt: T0 })
    await h.tick()
    expect(await rate()).toBe(3)
    // Any process starting with the same setting (a worker, or `course status`) leaves it alone.
    await initThrottle(h.db, 1000, h.clock.now())
    expect(await rate()).toBe(3)
    // The provider allows more again: the rate follows, up to the setting (1000 here) and no further.
    fake.setRateLimit(20)
    await seedDueReaders(h.db, { count: 2, item: 'start', dueAt: T0, prefix: 'later' })
    await h.tick()
    expect(await rate()).toBe(20)
    // A process started with a new setting replaces the rate in force.
    await initThrottle(h.db, 7, h.clock.now())
    expect(await rate()).toBe(7)
    await initThrottle(h.db, 7, h.clock.now())
    expect(await rate()).toBe(7)
  })

  it('fails one invalid email for good and sends the rest of its batch', async () => {
    await seedDueReaders(h.db, { count: 4, item: 'start', dueAt: T0 })
    await h.db.query(
      `update subscribers set email = 'broken@@example.org' where email_key = 'reader2@example.org'`,
    )
    await h.tick()
    expect(await deliveryStates(h.db, 'lesson', 'start')).toEqual({ sent: 3, failed: 1 })
    const { rows } = await h.db.query<{ last_error: string }>(
      `select last_error from deliveries where status = 'failed'`,
    )
    expect(rows[0]!.last_error).toMatch(/validation_error/)
    // The course goes on for that reader too.
    const next = await h.db.query<{ n: number }>(
      `select count(*)::int as n from deliveries where item = 'second' and status = 'queued'`,
    )
    expect(next.rows[0]!.n).toBe(4)
  })

  it('gives up after the attempt limit and keeps the reason', async () => {
    await seedDueReaders(h.db, { count: 2, item: 'start', dueAt: T0 })
    fake.inject({ fault: { type: 'status', status: 500, message: 'provider on fire' }, times: 10 })
    await drain(10)
    expect(await deliveryStates(h.db, 'lesson', 'start')).toEqual({ failed: 2 })
    const { rows } = await h.db.query<{ last_error: string }>(
      `select last_error from deliveries where item = 'start'`,
    )
    expect(rows[0]!.last_error).toMatch(/gave up after 5 attempts/)
    expect(fake.sent).toHaveLength(0)
  })

  it('pauses all sending when the quota is used up, and resumes later', async () => {
    await seedDueReaders(h.db, { count: 5, item: 'start', dueAt: T0 })
    fake.setQuota('daily')
    const report = await h.tick()
    expect(report.paused?.reason).toMatch(/daily_quota_exceeded/)
    expect(fake.sent).toHaveLength(0)
    const again = await h.tick()
    expect(again.batches).toBe(0) // nobody claims while paused
    fake.setQuota(null)
    h.clock.advance(61 * 60 * 1000)
    await h.tick()
    await expectExactlyOnce(5)
  })

  it('pauses when the API key is refused instead of failing every email', async () => {
    await h.close()
    h = await shortCourse({
      engine,
      start: T0.toISOString(),
      mailer: () => createResendMailer({ apiKey: 're_wrong', baseUrl: fake.url }),
    })
    const strict = await startFakeResend({ apiKey: 're_right' })
    try {
      await h.close()
      h = await shortCourse({
        engine,
        start: T0.toISOString(),
        mailer: () => createResendMailer({ apiKey: 're_wrong', baseUrl: strict.url }),
      })
      await seedDueReaders(h.db, { count: 2, item: 'start', dueAt: T0 })
      const report = await h.tick()
      expect(report.paused?.reason).toMatch(/invalid_api_key/)
      expect(await deliveryStates(h.db, 'lesson', 'start')).toEqual({ claimed: 2 })
    } finally {
      await strict.close()
    }
  })

  it('survives random 5xx on 20% of requests with every email sent once', async () => {
    fake.setRandomFault({ probability: 0.2, fault: { type: 'status', status: 502 } })
    await seedDueReaders(h.db, { count: 80, item: 'start', dueAt: T0 })
    await drain(60)
    fake.setRandomFault(null)
    await drain()
    await expectExactlyOnce(80)
  })
})
