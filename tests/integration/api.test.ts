import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { revokeKey } from '../../src/access/keys'
import { api, apiKey } from '../helpers/api'
import { ENGINES } from '../helpers/db'
import { createHarness, FIXTURES, type Harness } from '../helpers/harness'
import { subscribeAndConfirm } from '../helpers/web'

const TWO_COURSES = {
  LESSONS_DIR: path.join(FIXTURES, 'lessons-two'),
  NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
}

describe.each(ENGINES)('HTTP API (%s)', (engine) => {
  let h: Harness
  let key: string
  beforeEach(async () => {
    h = await createHarness({ engine, start: '2027-01-04T10:00:00Z', env: TWO_COURSES })
    key = await apiKey(h)
  })
  afterEach(async () => {
    await h.close()
  })

  const count = async () =>
    Number((await h.db.query<{ n: string }>('select count(*) n from subscribers')).rows[0]!.n)
  const mailTo = async (email: string) => (await h.outbox()).filter((m) => m.to === email)
  const create = (body: object, k = key, headers: Record<string, string> = {}) =>
    api(h, k, 'POST', '/subscribers', body, headers)

  describe('keys and scopes', () => {
    it('answers 401 without a key, with a malformed, unknown or revoked one, as problem+json', async () => {
      const none = await api(h, null, 'GET', '/courses')
      expect(none.status).toBe(401)
      expect(none.headers.get('content-type')).toBe('application/problem+json')
      expect(none.headers.get('www-authenticate')).toContain('Bearer')
      expect(none.json).toMatchObject({ status: 401, title: 'Unauthorized' })
      expect(none.json.detail).toContain('Authorization: Bearer')
      expect((await api(h, 'not-a-key', 'GET', '/courses')).json.detail).toContain('not an API key')
      for (const [method, path] of [
        ['POST', '/subscribers'],
        ['GET', '/subscribers'],
        ['GET', '/subscribers/1'],
        ['GET', '/stats'],
      ])
        expect((await api(h, null, method!, path!)).status).toBe(401)
      const unknown = `${key.slice(0, -4)}AAAA`
      expect((await api(h, unknown, 'GET', '/courses')).json.detail).toBe('Unknown API key.')
      const prefix = key.split('_')[1]!
      await revokeKey(h.db, prefix, h.clock.now())
      const revoked = await api(h, key, 'GET', '/courses')
      expect(revoked.status).toBe(401)
      expect(revoked.json.detail).toContain('revoked')
    })

    it('answers 403 naming the scope a key lacks, before reading its input', async () => {
      const reader = await apiKey(h, ['subscribers:read'])
      const write = await create({ email: 'x@example.org' }, reader)
      expect(write.status).toBe(403)
      expect(write.json.detail).toContain('subscribers:write')
      expect((await api(h, reader, 'POST', '/subscribers', '{bad json', {})).status).toBe(403)
      expect((await api(h, reader, 'GET', '/stats')).json.detail).toContain('stats:read')
      expect((await api(h, reader, 'GET', '/subscribers')).status).toBe(200)
      expect(await count()).toBe(0)
    })
  })

  describe('subscribers', () => {
    it('creates with double opt-in by default: 202, pending, one confirmation email, consent source recorded', async () => {
      const r = await create({
        email: 'Reader@Example.org',
        name: 'Sam',
        timezone: 'Europe/Paris',
        course: 'short',
        consent_source: 'shop checkout',
      })
      expect(r.status).toBe(202)
      expect(r.json).toMatchObject({
        email: 'Reader@example.org',
        name: 'Sam',
        timezone: 'Europe/Paris',
        status: 'pending',
        confirmation: 'sent',
        consent: { source: 'api:test: shop checkout', statement: null },
        enrolments: [{ course: 'short', status: 'pending' }],
      })
      await h.services.sender.whenIdle()
      const mail = await mailTo('Reader@example.org')
      expect(mail.map((m) => m.subject)).toEqual([expect.stringContaining('Confirm')])
      // The same address again: the same answer, no second person.
      const again = await create({ email: 'reader@example.org', course: 'short' })
      expect(again.status).toBe(202)
      expect(again.json.id).toBe(r.json.id)
      expect(await count()).toBe(1)
    })

    it('skips the confirmation only with subscribers:confirm and a consent statement, and records it', async () => {
      const writer = await apiKey(h, ['subscribers:write'], 'shop')
      const body = {
        email: 'buyer@example.org',
        course: 'short',
        skip_confirmation: true,
        consent_statement: 'Send me the course.',
      }
      const refused = await create(body, writer)
      expect(refused.status).toBe(403)
      expect(refused.json.detail).toContain('subscribers:confirm')
      const missing = await create({ ...body, consent_statement: '  ' })
      expect(missing.status).toBe(422)
      expect(missing.json.errors).toEqual([
        { field: 'consent_statement', message: expect.stringContaining('required') },
      ])
      expect(await count()).toBe(0)
      const made = await create(body)
      expect(made.status).toBe(201)
      expect(made.json).toMatchObject({
        status: 'confirmed',
        confirmation: 'skipped',
        consent: { statement: 'Send me the course.', source: 'api:test' },
        enrolments: [{ course: 'short', status: 'active' }],
      })
      await h.services.sender.whenIdle()
      const mail = await mailTo('buyer@example.org')
      expect(mail).toHaveLength(1)
      expect(mail[0]!.subject).not.toContain('Confirm')
      // Again: enrolled already, 200, nothing new sent.
      expect((await create(body)).status).toBe(200)
      await h.services.sender.whenIdle()
      expect(await mailTo('buyer@example.org')).toHaveLength(1)
    })

    it('refuses bad input with every bad field named, and keeps nothing', async () => {
      const bad = await create({ email: 'not-an-address', timezone: 'Mars/Base', course: 'short' })
      expect(bad.status).toBe(422)
      expect(bad.headers.get('content-type')).toBe('application/problem+json')
      expect(bad.json.errors.map((e: { field: string }) => e.field)).toContain('timezone')
      const email = await create({ email: 'not-an-address', course: 'short' })
      expect(email.json.errors).toEqual([{ field: 'email', message: expect.any(String) }])
      const types = await create({ email: 42, newsletter: 'yes' })
      expect(types.status).toBe(422)
      expect(types.json.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'newsletter'])
      const unknownField = await create({ email: 'a@example.org', course: 'short', timeZone: 'UTC' })
      expect(unknownField.status).toBe(422)
      expect(unknownField.json.detail).toContain('timeZone')
      const course = await create({ email: 'a@example.org', course: 'nope' })
      expect(course.json.errors).toEqual([{ field: 'course', message: expect.stringContaining('short') }])
      const noCourse = await create({ email: 'a@example.org' })
      expect(noCourse.json.errors[0].field).toBe('course')
      const malformed = await api(h, key, 'POST', '/subscribers', '{"email": ')
      expect(malformed.status).toBe(400)
      expect(malformed.json.title).toBe('Malformed request')
      const huge = await create({
        email: 'a@example.org',
        course: 'short',
        consent_source: 'x'.repeat(20_000),
      })
      expect(huge.status).toBe(413)
      expect(huge.headers.get('content-type')).toBe('application/problem+json')
      expect(await count()).toBe(0)
    })

    it('finds by address, gets by id, updates, unsubscribes and erases', async () => {
      const { id } = await subscribeAndConfirm(h, 'found@example.org', { course: 'short', timezone: 'UTC' })
      const found = await api(h, key, 'GET', '/subscribers?email=FOUND@example.org')
      expect(found.json).toMatchObject({ data: [{ id, status: 'confirmed' }], next_cursor: null })
      expect((await api(h, key, 'GET', '/subscribers?email=nobody@example.org')).json.data).toEqual([])
      expect((await api(h, key, 'GET', '/subscribers?email=junk')).status).toBe(422)
      const got = await api(h, key, 'GET', `/subscribers/${id}`)
      expect(got.json).toMatchObject({
        id,
        email: 'found@example.org',
        enrolments: [{ course: 'short', status: 'active' }],
      })
      expect((await api(h, key, 'GET', '/subscribers/999999')).status).toBe(404)
      expect((await api(h, key, 'GET', '/subscribers/abc')).json.errors[0].field).toBe('id')

      const badZone = await api(h, key, 'PATCH', `/subscribers/${id}`, {
        timezone: 'Nowhere/Town',
        name: 'Al',
      })
      expect(badZone.status).toBe(422)
      expect((await api(h, key, 'GET', `/subscribers/${id}`)).json.name).toBeNull()
      const patched = await api(h, key, 'PATCH', `/subscribers/${id}`, {
        name: 'Al',
        timezone: 'Asia/Calcutta',
        newsletter: false,
      })
      expect(patched.json).toMatchObject({ name: 'Al', timezone: 'Asia/Kolkata', newsletter: false })
      const badName = await api(h, key, 'PATCH', `/subscribers/${id}`, { name: '<b>x</b>' })
      expect(badName.json.errors[0].field).toBe('name')

      const left = await api(h, key, 'POST', `/subscribers/${id}/unsubscribe`)
      expect(left.json.status).toBe('unsubscribed')
      const queued = await h.db.query(
        `select 1 from deliveries where subscriber_id = $1 and status = 'queued'`,
        [id],
      )
      expect(queued.rows).toEqual([])

      const erased = await api(h, key, 'DELETE', `/subscribers/${id}`)
      expect(erased.json).toMatchObject({ erased: true, enrolments: 1 })
      expect(erased.json.deliveries).toBeGreaterThan(0)
      expect((await api(h, key, 'GET', `/subscribers/${id}`)).status).toBe(404)
      expect((await api(h, key, 'DELETE', `/subscribers/${id}`)).status).toBe(404)
      // Erased on request: only they can come back, not an API caller.
      const back = await create({
        email: 'found@example.org',
        course: 'short',
        skip_confirmation: true,
        consent_statement: 'yes',
      })
      expect(back.status).toBe(409)
      expect(back.json.errors[0].message).toContain('erased')
    })

    it('enrols in a course, pauses, resumes and leaves it; refuses what does not apply', async () => {
      const { id } = await subscribeAndConfirm(h, 'moves@example.org', { course: 'short', timezone: 'UTC' })
      const enrolled = await api(h, key, 'POST', `/subscribers/${id}/enrolments`, { course: 'follow-up' })
      expect(enrolled.status).toBe(200)
      const followUp = (b: { enrolments: { course: string; status: string }[] }) =>
        b.enrolments.find((e) => e.course === 'follow-up')?.status
      expect(followUp(enrolled.json)).toBe('active')
      expect(
        (await api(h, key, 'POST', `/subscribers/${id}/enrolments`, { course: 'nope' })).json.errors[0].field,
      ).toBe('course')
      const move = (action: string, course = 'follow-up') =>
        api(h, key, 'POST', `/subscribers/${id}/enrolments/${course}/${action}`)
      expect(followUp((await move('pause')).json)).toBe('paused')
      const again = await move('pause')
      expect(again.status).toBe(409)
      expect(again.json.detail).toBe('Cannot pause a course that is paused.')
      expect(followUp((await move('resume')).json)).toBe('active')
      expect(followUp((await move('leave')).json)).toBe('left')
      expect((await move('pause', 'nope')).status).toBe(404)
      expect((await api(h, key, 'POST', '/subscribers/424242/enrolments/short/pause')).status).toBe(404)
      await api(h, key, 'POST', `/subscribers/${id}/unsubscribe`)
      const refused = await api(h, key, 'POST', `/subscribers/${id}/enrolments`, { course: 'follow-up' })
      expect(refused.status).toBe(409)
    })

    it('pages through everyone with a cursor, in id order, and refuses a forged cursor', async () => {
      for (let i = 0; i < 23; i++) await create({ email: `p${i}@example.org`, course: 'short' })
      const seen: number[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const r = await api(h, key, 'GET', `/subscribers?limit=10${cursor ? `&cursor=${cursor}` : ''}`)
        expect(r.status).toBe(200)
        seen.push(...r.json.data.map((s: { id: number }) => s.id))
        cursor = r.json.next_cursor
        pages++
      } while (cursor)
      expect(pages).toBe(3)
      expect(seen).toHaveLength(23)
      expect([...seen].sort((a, b) => a - b)).toEqual(seen)
      expect((await api(h, key, 'GET', '/subscribers?status=confirmed')).json.data).toEqual([])
      const forged = await api(h, key, 'GET', '/subscribers?cursor=bm9wZQ')
      expect(forged.status).toBe(400)
      expect(forged.json.errors[0].field).toBe('cursor')
      expect((await api(h, key, 'GET', '/subscribers?limit=0')).json.errors[0].field).toBe('limit')
    })
  })

  describe('conventions', () => {
    it('replays a POST with the same Idempotency-Key and refuses the key with another body', async () => {
      const body = {
        email: 'once@example.org',
        course: 'short',
        skip_confirmation: true,
        consent_statement: 'ok',
      }
      const headers = { 'idempotency-key': 'order-1001' }
      const first = await create(body, key, headers)
      expect(first.json).toMatchObject({ email: 'once@example.org' })
      expect(first.status).toBe(201)
      const replay = await create(body, key, headers)
      expect(replay.status).toBe(201)
      expect(replay.headers.get('idempotent-replayed')).toBe('true')
      expect(replay.json).toEqual(first.json)
      const other = await create({ ...body, email: 'other@example.org' }, key, headers)
      expect(other.status).toBe(422)
      expect(other.json.title).toBe('Idempotency-Key reused')
      await h.services.sender.whenIdle()
      expect(await mailTo('once@example.org')).toHaveLength(1)
      expect(await count()).toBe(1)
      // Another key may use the same Idempotency-Key for its own request.
      const second = await apiKey(h, undefined, 'second')
      expect((await create({ ...body, email: 'other@example.org' }, second, headers)).status).toBe(201)
      // Erasing twice with one key: the second answers what the first did.
      const del = await api(h, key, 'DELETE', `/subscribers/${first.json.id}`, undefined, {
        'idempotency-key': 'del-1',
      })
      const delAgain = await api(h, key, 'DELETE', `/subscribers/${first.json.id}`, undefined, {
        'idempotency-key': 'del-1',
      })
      expect([del.status, delAgain.status]).toEqual([200, 200])
      expect(delAgain.json).toEqual(del.json)
    })

    it('limits each key per minute with RateLimit headers and Retry-After, other keys unaffected', async () => {
      await h.close()
      h = await createHarness({
        engine,
        start: '2027-01-04T10:00:00Z',
        env: { ...TWO_COURSES, API_RATE_LIMIT: '5' },
      })
      key = await apiKey(h)
      const other = await apiKey(h, undefined, 'other')
      const answers = []
      for (let i = 0; i < 6; i++) answers.push(await api(h, key, 'GET', '/courses'))
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429])
      expect(answers[0]!.headers.get('ratelimit')).toMatch(/^limit=5, remaining=4, reset=\d+$/)
      expect(answers[5]!.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(answers[5]!.json.title).toBe('Too many requests')
      expect((await api(h, other, 'GET', '/courses')).status).toBe(200)
      h.clock.advance(61_000)
      expect((await api(h, key, 'GET', '/courses')).status).toBe(200)
    })

    it('lists the courses and reads the dashboard figures', async () => {
      await subscribeAndConfirm(h, 'fig@example.org', { course: 'short', timezone: 'UTC' })
      const courses = await api(h, key, 'GET', '/courses')
      expect(courses.json.data.map((c: { slug: string }) => c.slug)).toEqual(['short', 'follow-up'])
      expect(courses.json.data[0].lessons[0]).toMatchObject({ day: 0 })
      const stats = await api(h, key, 'GET', '/stats?days=7&course=short')
      expect(stats.status).toBe(200)
      expect(stats.json.range.days).toBe(7)
      expect(stats.json.subscribers).toContainEqual({ status: 'confirmed', count: 1 })
      expect(stats.json.funnel[0]).toMatchObject({ course: 'short', people: 1 })
      expect((await api(h, key, 'GET', '/stats?course=nope')).json.errors[0].field).toBe('course')
      expect((await api(h, key, 'GET', '/stats?days=0')).json.errors[0].field).toBe('days')
    })

    it('answers unknown paths and methods under /api/ as problems', async () => {
      const missing = await api(h, key, 'GET', '/nothing-here')
      expect(missing.status).toBe(404)
      expect(missing.headers.get('content-type')).toBe('application/problem+json')
      const method = await api(h, key, 'PUT', '/courses')
      expect(method.status).toBe(405)
      expect(method.headers.get('allow')).toContain('GET')
      expect(method.headers.get('content-type')).toBe('application/problem+json')
    })
  })
})
