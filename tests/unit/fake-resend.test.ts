import { Resend } from 'resend'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type FakeResend, startFakeResend } from '../helpers/fake-resend'

const API_KEY = 're_test'

/** A minimal valid email; tests override one field to make it invalid. */
function email(overrides: Record<string, unknown> = {}) {
  return {
    from: 'Course <course@example.com>',
    to: ['reader@example.org'],
    subject: 'Lesson 1',
    html: '<p>Hello</p>',
    text: 'Hello',
    tags: [{ name: 'lesson', value: 'lesson-1' }],
    ...overrides,
  }
}

/** The SDK's option types are stricter than what we want to send when testing rejections. */
function loose(value: Record<string, unknown>): ReturnType<typeof email> {
  return value as ReturnType<typeof email>
}

describe('fake Resend server driven by the real SDK', () => {
  let fake: FakeResend
  let resend: Resend

  beforeAll(async () => {
    fake = await startFakeResend({ apiKey: API_KEY })
    resend = new Resend(API_KEY, { baseUrl: fake.url })
  })

  afterAll(async () => {
    await fake.close()
  })

  beforeEach(() => {
    fake.reset()
  })

  describe('sending', () => {
    it('records a single email and answers its id', async () => {
      const { data, error } = await resend.emails.send(email({ replyTo: 'help@example.com' }))

      expect(error).toBeNull()
      expect(fake.sent).toHaveLength(1)
      expect(fake.sent[0]).toMatchObject({
        id: data?.id,
        from: 'Course <course@example.com>',
        to: ['reader@example.org'],
        subject: 'Lesson 1',
        replyTo: ['help@example.com'],
        tags: [{ name: 'lesson', value: 'lesson-1' }],
        path: '/emails',
      })
      expect(fake.sentTo('READER@example.org')).toHaveLength(1)
      expect(fake.requests).toMatchObject([{ method: 'POST', path: '/emails', status: 200, emailCount: 1 }])
    })

    it('records a batch in order and answers the ids in the same order', async () => {
      const batch = [email({ to: 'a@example.org' }), email({ to: 'Bee <b@example.org>' })]
      const { data, error } = await resend.batch.send(batch)

      expect(error).toBeNull()
      expect(data?.data.map((item) => item.id)).toEqual(fake.sent.map((sent) => sent.id))
      expect(fake.sent.map((sent) => [sent.to, sent.batchIndex, sent.path])).toEqual([
        [['a@example.org'], 0, '/emails/batch'],
        [['Bee <b@example.org>'], 1, '/emails/batch'],
      ])
      expect(fake.sentTo('b@example.org')).toHaveLength(1)
    })

    it('in permissive mode sends the valid items and reports the invalid ones by index', async () => {
      const batch = [email(), email({ to: 'not-an-address' }), email()]
      const { data, error } = await resend.batch.send(batch, { batchValidation: 'permissive' })

      expect(error).toBeNull()
      expect(data?.data).toHaveLength(2)
      expect(data?.errors).toEqual([{ index: 1, message: expect.stringContaining('`to`') }])
      expect(fake.sent.map((sent) => sent.batchIndex)).toEqual([0, 2])
    })
  })

  describe('validation', () => {
    it('rejects a batch of 101 emails and records nothing', async () => {
      const batch = Array.from({ length: 101 }, () => email())
      const { data, error } = await resend.batch.send(batch)

      expect(data).toBeNull()
      expect(error).toMatchObject({ statusCode: 422, name: 'validation_error' })
      expect(error?.message).toContain('101')
      expect(fake.sent).toEqual([])
    })

    it('rejects a strict batch entirely when one item is invalid', async () => {
      const { error } = await resend.batch.send([email(), email({ subject: undefined })])

      expect(error).toMatchObject({ statusCode: 422, name: 'validation_error' })
      expect(error?.message).toContain('emails[1]')
      expect(fake.sent).toEqual([])
    })

    it('rejects 51 recipients', async () => {
      const to = Array.from({ length: 51 }, (_, i) => `reader${i}@example.org`)
      const { error } = await resend.emails.send(email({ to }))

      expect(error).toMatchObject({ statusCode: 422, name: 'validation_error' })
      expect(error?.message).toContain('`to`')
      expect(fake.sent).toEqual([])
    })

    it('rejects 51 bcc recipients, which the spec does not cap but Resend documents', async () => {
      const bcc = Array.from({ length: 51 }, (_, i) => `reader${i}@example.org`)
      const { error } = await resend.emails.send(email({ bcc }))

      expect(error).toMatchObject({ statusCode: 422 })
      expect(error?.message).toContain('`bcc` has 51 addresses')
    })

    it('rejects a tag with characters outside letters, digits, _ and -', async () => {
      const { error } = await resend.emails.send(email({ tags: [{ name: 'lesson one', value: 'ok' }] }))

      expect(error).toMatchObject({ statusCode: 422, name: 'validation_error' })
      expect(error?.message).toContain('tags[0].name')
      expect(fake.sent).toEqual([])
    })

    it('rejects a missing subject', async () => {
      const { subject: _omitted, ...withoutSubject } = email()
      const { error } = await resend.emails.send(loose(withoutSubject))

      expect(error).toMatchObject({ statusCode: 422, name: 'validation_error' })
      expect(error?.message).toContain('`subject` is missing')
    })

    it('rejects an email with neither html nor text, and a non-string header', async () => {
      const { error } = await resend.emails.send(
        loose({ ...email({ html: undefined, text: undefined }), headers: { 'X-Count': 3 } }),
      )

      expect(error?.statusCode).toBe(422)
      expect(error?.message).toContain('`html` or `text`')
      expect(error?.message).toContain('`headers.X-Count` must be a string')
    })

    it('answers malformed JSON with 400, an unknown path with 404 and a wrong method with 405', async () => {
      const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }
      const malformed = await fetch(`${fake.url}/emails`, { method: 'POST', headers, body: '{"from":' })
      const unknown = await fetch(`${fake.url}/domains`, { method: 'POST', headers, body: '{}' })
      const wrongMethod = await fetch(`${fake.url}/emails/batch`, { headers })

      expect([malformed.status, unknown.status, wrongMethod.status]).toEqual([400, 404, 405])
      expect(await malformed.json()).toMatchObject({ statusCode: 400, name: 'validation_error' })
      expect(fake.sent).toEqual([])
    })
  })

  describe('authentication', () => {
    it('answers 401 without a bearer key and 403 with another key', async () => {
      const missing = await fetch(`${fake.url}/emails`, { method: 'POST', body: JSON.stringify(email()) })
      const other = await new Resend('re_other', { baseUrl: fake.url }).emails.send(email())

      expect(missing.status).toBe(401)
      expect(await missing.json()).toMatchObject({ statusCode: 401, name: 'missing_api_key' })
      expect(other.error).toMatchObject({ statusCode: 403, name: 'invalid_api_key' })
      expect(fake.sent).toEqual([])
    })
  })

  describe('idempotency', () => {
    it('replays the stored answer for the same key and body and records nothing new', async () => {
      const first = await resend.emails.send(email(), { idempotencyKey: 'welcome/42' })
      const second = await resend.emails.send(email(), { idempotencyKey: 'welcome/42' })

      expect(first.data?.id).toEqual(expect.any(String))
      expect(second.data?.id).toBe(first.data?.id)
      expect(fake.sent).toHaveLength(1)
      expect(fake.sent[0]?.idempotencyKey).toBe('welcome/42')
      expect(fake.requests.map((request) => request.status)).toEqual([200, 200])
    })

    it('answers 409 for the same key with another body', async () => {
      await resend.emails.send(email(), { idempotencyKey: 'welcome/43' })
      const { error } = await resend.emails.send(email({ subject: 'Other' }), {
        idempotencyKey: 'welcome/43',
      })

      expect(error).toMatchObject({ statusCode: 409, name: 'invalid_idempotent_request' })
      expect(fake.sent).toHaveLength(1)
    })

    it('answers 409 concurrent_idempotent_requests while the same key is in flight', async () => {
      fake.inject({ type: 'delay', ms: 300 })
      const slow = resend.emails.send(email(), { idempotencyKey: 'welcome/44' })
      // The first request reaches the fake and parks in its delay with the key held.
      while (fake.inFlightCount() === 0) await sleep(5)
      expect(fake.sent).toEqual([])
      const concurrent = await resend.emails.send(email(), { idempotencyKey: 'welcome/44' })

      expect(concurrent.error).toMatchObject({ statusCode: 409, name: 'concurrent_idempotent_requests' })
      expect((await slow).error).toBeNull()
      expect(fake.sent).toHaveLength(1)
    })

    it('rejects a key longer than 256 characters with 400', async () => {
      const { error } = await resend.emails.send(email(), { idempotencyKey: 'k'.repeat(257) })

      expect(error).toMatchObject({ statusCode: 400, name: 'invalid_idempotency_key' })
      expect(fake.sent).toEqual([])
    })
  })

  describe('rate limit and quota', () => {
    it('answers 429 over the limit with retry-after and ratelimit headers, and sends nothing for it', async () => {
      fake.setRateLimit(2)
      const results = [
        await resend.emails.send(email()),
        await resend.batch.send([email()]),
        await resend.emails.send(email()),
      ]
      const limited = results[2]

      expect(results.map((result) => result.error?.statusCode ?? 200)).toEqual([200, 200, 429])
      expect(limited?.error?.name).toBe('rate_limit_exceeded')
      expect(Number(limited?.headers?.['retry-after'])).toBeGreaterThanOrEqual(1)
      expect(limited?.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '0' })
      expect(Number(limited?.headers?.['ratelimit-reset'])).toBeGreaterThanOrEqual(1)
      expect(results[0]?.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '1' })
      expect(fake.sent).toHaveLength(2)
      expect(fake.count429()).toBe(1)
    })

    it('admits requests again once the one-second window has moved on', async () => {
      // Its own fake, on a clock the test moves: the window is about time passing, not waiting.
      let now = 0
      const timed = await startFakeResend({ apiKey: API_KEY, rateLimitPerSecond: 1, now: () => now })
      try {
        const client = new Resend(API_KEY, { baseUrl: timed.url })
        await client.emails.send(email())
        const limited = await client.emails.send(email())
        now += 999
        const tooEarly = await client.emails.send(email())
        now += 51
        const later = await client.emails.send(email())

        expect(limited.error?.statusCode).toBe(429)
        expect(tooEarly.error?.statusCode).toBe(429)
        expect(later.error).toBeNull()
        expect(timed.sent).toHaveLength(2)
      } finally {
        await timed.close()
      }
    })

    it('answers every send with the quota error while a quota is exceeded', async () => {
      fake.setQuota('daily')
      const daily = await resend.emails.send(email())
      fake.setQuota('monthly')
      const monthly = await resend.batch.send([email()])
      fake.setQuota(null)
      const after = await resend.emails.send(email())

      expect(daily.error).toMatchObject({ statusCode: 429, name: 'daily_quota_exceeded' })
      expect(monthly.error).toMatchObject({ statusCode: 429, name: 'monthly_quota_exceeded' })
      expect(after.error).toBeNull()
      expect(fake.sent).toHaveLength(1)
      expect(fake.count429()).toBe(2)
    })
  })

  describe('faults', () => {
    it('status: answers the injected error, sends nothing, and is not cached for the key', async () => {
      fake.inject({ type: 'status', status: 500 })
      const failed = await resend.emails.send(email(), { idempotencyKey: 'lesson/1' })
      const retried = await resend.emails.send(email(), { idempotencyKey: 'lesson/1' })

      expect(failed.error).toMatchObject({ statusCode: 500, name: 'internal_server_error' })
      expect(retried.error).toBeNull()
      expect(fake.sent).toHaveLength(1)
      expect(fake.requests.map((request) => request.status)).toEqual([500, 200])
    })

    it('status with a path and times: only matches that path, for that many requests', async () => {
      fake.inject({
        fault: { type: 'status', status: 503, name: 'application_error' },
        times: 2,
        path: '/emails/batch',
      })
      const single = await resend.emails.send(email())
      const batches = [await resend.batch.send([email()]), await resend.batch.send([email()])]
      const third = await resend.batch.send([email()])

      expect(single.error).toBeNull()
      expect(batches.map((result) => result.error?.statusCode)).toEqual([503, 503])
      expect(third.error).toBeNull()
      expect(fake.sent.map((sent) => sent.path)).toEqual(['/emails', '/emails/batch'])
    })

    it('delay: waits, then answers normally', async () => {
      fake.inject({ type: 'delay', ms: 200 })
      const started = performance.now()
      const { data, error } = await resend.emails.send(email())

      expect(performance.now() - started).toBeGreaterThanOrEqual(190)
      expect(error).toBeNull()
      expect(fake.sent[0]?.id).toBe(data?.id)
    })

    it('drop: closes the connection unanswered and sends nothing', async () => {
      fake.inject({ type: 'drop' })
      const { data, error } = await resend.emails.send(email())

      expect(data).toBeNull()
      expect(error?.statusCode).toBeNull()
      expect(fake.sent).toEqual([])
      expect(fake.requests).toMatchObject([{ status: 'dropped' }])
    })

    it('crash-after-accept: a retry with the same key returns the original ids without duplicates', async () => {
      fake.inject({ type: 'crash-after-accept' })
      const batch = [email({ to: 'a@example.org' }), email({ to: 'b@example.org' })]
      const crashed = await resend.batch.send(batch, { idempotencyKey: 'batch/7' })
      const acceptedIds = fake.sent.map((sent) => sent.id)
      const retried = await resend.batch.send(batch, { idempotencyKey: 'batch/7' })

      expect(crashed.error?.statusCode).toBeNull()
      expect(acceptedIds).toHaveLength(2)
      expect(retried.error).toBeNull()
      expect(retried.data?.data.map((item) => item.id)).toEqual(acceptedIds)
      expect(fake.sent).toHaveLength(2)
      expect(fake.requests.map((request) => request.status)).toEqual(['dropped', 200])
    })

    it('random fault: plays with the given probability using the injected random source', async () => {
      const draws = [0.1, 0.9]
      const flaky = await startFakeResend({
        randomFault: { probability: 0.5, fault: { type: 'status', status: 502 } },
        random: () => draws.shift() ?? 1,
      })
      try {
        const client = new Resend(API_KEY, { baseUrl: flaky.url })
        const first = await client.emails.send(email())
        const second = await client.emails.send(email())

        expect(first.error?.statusCode).toBe(502)
        expect(second.error).toBeNull()
        expect(flaky.sent).toHaveLength(1)
      } finally {
        await flaky.close()
      }
    })
  })
})

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
