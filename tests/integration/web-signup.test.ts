import { request as httpRequest } from 'node:http'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createToken } from '../../src/lib/links'
import { serveApp } from '../helpers/browser'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'
import { MAIN_COURSE, postForm, postJson, subscribeAndConfirm, subscriberRow } from '../helpers/web'

describe.each(ENGINES)('signup over HTTP (%s)', (engine) => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness({ engine, env: { SUBSCRIBE_RATE_LIMIT: '1000' } })
  })
  afterEach(async () => {
    await h.close()
  })
  const count = async (table: string) =>
    (await h.db.query<{ n: number }>(`select count(*)::int as n from ${table}`)).rows[0]!.n

  it('serves an accessible signup page with the lesson list, a privacy line and strict security headers', async () => {
    // With two courses, / lists them, each linking to its own signup page (the main course first).
    const home = await h.services.web.request('/')
    const list = await home.text()
    expect(home.status).toBe(200)
    const { courses } = h.services.webDeps.content()
    expect(courses.map((course) => course.slug)).toEqual([MAIN_COURSE, 'unhappy-with-your-smp'])
    for (const course of courses) {
      expect(list).toContain(`href="/courses/${course.slug}"`)
      expect(list).toContain(course.title)
    }
    expect(list.indexOf(courses[0]!.title)).toBeLessThan(list.indexOf(courses[1]!.title))

    const response = await h.services.web.request(`/courses/${MAIN_COURSE}`)
    const page = await response.text()
    expect(response.status).toBe(200)
    expect(page).toContain('<label for="email">')
    expect(page).toContain(`<input type="hidden" name="course" value="${MAIN_COURSE}">`)
    expect(page).toContain('<input type="hidden" name="timezone"')
    expect(page).toMatch(/<script src="\/assets\/signup\.[0-9a-f]+\.js" defer><\/script>/)
    expect(page).not.toMatch(/<script>/)
    expect(page).toContain('Privacy:')
    for (const lesson of h.services.webDeps.content().course(MAIN_COURSE)!.lessons)
      expect(page).toContain(lesson.title.replaceAll("'", '&#39;'))
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
  })

  it.each([
    ['no @', 'reader.example.org', 'needs an @'],
    ['300 characters', `${'a'.repeat(290)}@example.org`, 'too long'],
    ['a line break inside', 'reader@example.org\r\nBcc: victim@example.org', 'line break'],
    ['a lookalike letter', 'rеader@example.org', 'lookalike'],
    ['nothing at all', '', 'enter your email'],
    ['a bad domain', 'reader@example', 'not a valid domain'],
  ])(
    're-shows the form for an address with %s, with the message by the field and the input kept',
    async (_name, email, message) => {
      const response = await postForm(h, '/subscribe', { course: MAIN_COURSE, email, name: 'Kept <Name>' })
      const page = await response.text()
      expect(response.status).toBe(400)
      expect(page).toContain('aria-describedby="email-error"')
      expect(page).toMatch(new RegExp(`id="email-error" role="alert">[^<]*${message}`, 'i'))
      expect(page).toContain('value="Kept &lt;Name&gt;"')
      if (!email.includes('\r')) expect(page).toContain(`value="${email}"`)
      expect(await count('subscribers')).toBe(0)
    },
  )

  it('answers JSON with 201 for any valid address (new or known alike) and 400 with field errors otherwise', async () => {
    const first = await postJson(h, '/subscribe', {
      course: MAIN_COURSE,
      email: 'json@example.org',
      name: 'Jay',
      timezone: 'Asia/Tokyo',
    })
    expect(first.status).toBe(201)
    const again = await postJson(h, '/subscribe', { course: MAIN_COURSE, email: 'JSON@example.org' })
    expect(again.status).toBe(201)
    expect(await again.json()).toEqual(await first.json())
    const bad = await postJson(h, '/subscribe', { course: MAIN_COURSE, email: 'nope' })
    expect(bad.status).toBe(400)
    expect((await bad.json()).errors.email).toMatch(/@/)
    const malformed = await postJson(h, '/subscribe', '{"email": ')
    expect(malformed.status).toBe(400)
    expect((await malformed.json()).error).toMatch(/JSON object/)
    expect(await count('subscribers')).toBe(1)
    const row = await subscriberRow(h, 'json@example.org')
    expect(row).toMatchObject({
      timezone: 'Asia/Tokyo',
      name: 'Jay',
      status: 'pending',
      consent_source: 'api:/subscribe',
    })
  })

  it('takes an unknown time zone as UTC without bothering the person', async () => {
    expect(
      (
        await postForm(h, '/subscribe', {
          course: MAIN_COURSE,
          email: 'tz@example.org',
          timezone: 'Mars/Olympus',
        })
      ).status,
    ).toBe(303)
    expect((await subscriberRow(h, 'tz@example.org'))?.timezone).toBe('UTC')
  })

  it('stores one canonical name for a zone given under an alias or in any letter case', async () => {
    await postJson(h, '/subscribe', {
      course: MAIN_COURSE,
      email: 'paris@example.org',
      timezone: 'europe/paris',
    })
    await postForm(h, '/subscribe', {
      course: MAIN_COURSE,
      email: 'kolkata@example.org',
      timezone: 'Asia/Calcutta',
    })
    await postForm(h, '/subscribe', {
      course: MAIN_COURSE,
      email: 'kyiv@example.org',
      timezone: 'Europe/Kiev',
    })
    expect((await subscriberRow(h, 'paris@example.org'))?.timezone).toBe('Europe/Paris')
    expect((await subscriberRow(h, 'kolkata@example.org'))?.timezone).toBe('Asia/Kolkata')
    expect((await subscriberRow(h, 'kyiv@example.org'))?.timezone).toBe('Europe/Kyiv')
  })

  it('sends a pending address at most one confirmation per 10 minutes, and never re-enrolls a confirmed one', async () => {
    const confirmations = async () => (await h.outbox()).filter((m) => m.subject.includes('Confirm'))
    await postForm(h, '/subscribe', { course: MAIN_COURSE, email: 'twice@example.org' })
    await postForm(h, '/subscribe', { course: MAIN_COURSE, email: 'twice@example.org' })
    await postForm(h, '/subscribe', { course: MAIN_COURSE, email: 'twice@example.org' })
    await h.tick()
    // The first goes at once; the second request waits its turn (the third adds nothing).
    expect(await confirmations()).toHaveLength(1)
    h.clock.advance(9 * 60 * 1000)
    await h.tick()
    expect(await confirmations()).toHaveLength(1)
    h.clock.advance(2 * 60 * 1000)
    await h.tick()
    expect(await confirmations()).toHaveLength(2)
    h.clock.advance(2 * 60 * 60 * 1000)
    await h.tick()
    expect(await confirmations()).toHaveLength(2)

    const { id } = await subscribeAndConfirm(h, 'confirmed@example.org')
    const before = await h.outbox()
    const enrolment = async () =>
      (await h.db.query('select * from enrolments where subscriber_id = $1', [id])).rows
    const enrolmentBefore = await enrolment()
    h.clock.advance(60 * 60 * 1000)
    expect(
      (await postForm(h, '/subscribe', { course: MAIN_COURSE, email: 'confirmed@example.org' })).status,
    ).toBe(303)
    await h.services.sender.whenIdle()
    expect(await h.outbox()).toHaveLength(before.length)
    expect(await enrolment()).toEqual(enrolmentBefore)
  })

  it('lets nobody flood an address with confirmations: a few a day at most, then a growing wait', async () => {
    const confirmations = async (email: string) =>
      (
        await h.db.query<{ n: number }>(
          `select count(*)::int as n from deliveries d join subscribers s on s.id = d.subscriber_id
           where s.email_key = $1 and d.kind = 'confirmation' and d.status = 'sent'`,
          [email],
        )
      ).rows[0]!.n
    // A stranger submits the form for the same address every 10 minutes for three days, while the
    // scheduler ticks.
    const sentAt: number[] = []
    for (let minute = 0; minute < 3 * 24 * 60; minute += 10) {
      await postForm(h, '/subscribe', { course: MAIN_COURSE, email: 'victim@example.org' })
      await h.tick()
      if ((await confirmations('victim@example.org')) > sentAt.length) sentAt.push(minute)
      h.clock.advance(10 * 60 * 1000)
    }
    await h.services.sender.whenIdle()
    expect((await h.outbox()).filter((m) => m.to === 'victim@example.org')).toHaveLength(5)
    // 10 minutes, 1 hour, 6 hours, 36 hours between them: four on the first day, five in three days.
    expect(sentAt).toEqual([0, 10, 70, 430, 2590])
    // Leaving does not reset it: someone who unsubscribed from the confirmation gets at most one a day.
    const { rows } = await h.db.query<{ id: number }>(
      `select id from subscribers where email_key = 'victim@example.org'`,
    )
    await postForm(h, `/unsubscribe?token=${createToken(h.config.secret, 'unsubscribe', rows[0]!.id)}`, {
      'List-Unsubscribe': 'One-Click',
    })
    h.clock.advanceDays(8)
    let more = 0
    for (let hour = 0; hour < 24; hour++) {
      const before = await confirmations('victim@example.org')
      await postForm(h, '/subscribe', { course: MAIN_COURSE, email: 'victim@example.org' })
      await h.tick()
      more += (await confirmations('victim@example.org')) - before
      h.clock.advance(60 * 60 * 1000)
    }
    expect(more).toBe(1)
  })

  it('treats a filled honeypot as accepted but stores and sends nothing', async () => {
    const response = await postForm(h, '/subscribe', {
      course: MAIN_COURSE,
      email: 'bot@example.org',
      website: 'http://spam.example',
    })
    expect(response.status).toBe(303)
    await h.services.sender.whenIdle()
    expect(await count('subscribers')).toBe(0)
    expect(await h.outbox()).toHaveLength(0)
  })

  it('stores SQL meta-characters verbatim and greets with them as text', async () => {
    const name = "D'Arcy O'Neil-Ba'"
    await subscribeAndConfirm(h, 'bobby@example.org', { name })
    expect((await subscriberRow(h, 'bobby@example.org'))?.name).toBe(name)
    const lesson = (await h.outbox()).at(-1)!
    expect(lesson.html).toContain('Hi D&#39;Arcy,')
  })

  it.each([
    ['a web address', 'https://evil.example/claim-prize', /without a web or email address/],
    ['a bare domain', 'Win at evil.example', /without a web or email address/],
    ['an email address', 'me@evil.example', /without a web or email address/],
    ['a script tag', '<script>alert(1)</script>', /Please leave out/],
    ['an attribute break-out', '"><img src=x onerror=alert(1)>', /Please leave out/],
    ['a right-to-left override', 'Eve\u202Emoc.live', /invisible or control characters/],
    ['a line break', 'Eve\r\nBcc: victim@example.org', /invisible or control characters/],
    ['a long name', 'A'.repeat(51), /50 characters or fewer/],
  ])('refuses a name with %s, saying why and keeping what was typed', async (_kind, name, message) => {
    const form = await postForm(h, '/subscribe', { course: MAIN_COURSE, email: 'named@example.org', name })
    expect(form.status).toBe(400)
    const page = await form.text()
    expect(page).toMatch(message)
    expect(page).toContain('value="named@example.org"')
    expect(page).toContain('aria-describedby="name-error"')
    const json = await postJson(h, '/subscribe', { course: MAIN_COURSE, email: 'named@example.org', name })
    expect(json.status).toBe(400)
    expect((await json.json()).errors.name).toMatch(message)
    await h.services.sender.whenIdle()
    expect(await count('subscribers')).toBe(0)
    expect(await h.outbox()).toHaveLength(0)
  })

  it('takes names in any script with accents, hyphens, apostrophes and initials', async () => {
    for (const [i, name] of [
      'José-María',
      'Zoë',
      'Ólafur',
      'Nguyễn',
      'Мария',
      '李',
      'J. R.',
      'Anne’s',
    ].entries())
      expect(
        (await postForm(h, '/subscribe', { course: MAIN_COURSE, email: `ok${i}@example.org`, name })).status,
        name,
      ).toBe(303)
    expect(await count('subscribers')).toBe(8)
  })

  // Older installations took any name: markup stored before the rule must still reach mail as text.
  // The greeting takes the name's first word, so each name here is one word of markup up to its tag.
  it.each([
    ['a script tag', '<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    [
      'an attribute break-out',
      '"><img src=x onerror=alert(1)>',
      '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;',
    ],
  ])(
    'keeps %s stored in a name as text in the emails and on the preferences page',
    async (_kind, name, escaped) => {
      const email = 'markup@example.org'
      const { id } = await subscribeAndConfirm(h, email)
      await h.db.query('update subscribers set name = $2 where id = $1', [id, name])
      h.clock.advanceDays(3)
      await h.tick()
      const lesson = (await h.outbox()).find((m) => m.to === email && m.subject.startsWith('Lesson 2'))!
      const greeting = `Hi ${escaped.split(' ')[0]},`
      expect(lesson.html).toContain(greeting)
      expect(lesson.html).not.toContain('<script>alert(1)</script>')
      expect(lesson.html).not.toContain('<img src=x')
      const preferences = await h.services.web.request(
        `/preferences?token=${createToken(h.config.secret, 'preferences', id)}`,
      )
      const page = await preferences.text()
      expect(preferences.status).toBe(200)
      expect(page).toContain(`value="${escaped}"`)
      expect(page).not.toContain('<script>alert(1)</script>')
      expect(page).not.toContain('<img src=x')
    },
  )

  it('records consent at the time of the clock and the address the trusted proxy reports', async () => {
    const proxied = await createHarness({
      engine,
      env: { SUBSCRIBE_RATE_LIMIT: '1000', TRUST_PROXY: 'true' },
      start: '2027-03-09T10:11:12.345Z',
    })
    try {
      const response = await postForm(
        proxied,
        '/subscribe',
        { email: 'consent@example.org', course: MAIN_COURSE },
        // The left entry was written by the client (forgeable); the proxy appended the right one.
        { 'x-forwarded-for': '198.51.100.9, 203.0.113.7' },
      )
      expect(response.status).toBe(303)
      expect(await subscriberRow(proxied, 'consent@example.org')).toMatchObject({
        consent_at: new Date('2027-03-09T10:11:12.345Z'),
        consent_ip: '203.0.113.7',
        consent_source: 'form:/',
      })
    } finally {
      await proxied.close()
    }
  })

  it('limits bodies over a real connection, whether they state their length or come in chunks', async () => {
    const server = await serveApp((request, env) => h.services.web.fetch(request, env))
    /** POSTs `body` in `chunks` (chunked encoding) or with its Content-Length; the status and text. */
    const post = (body: string, chunked: boolean) =>
      new Promise<{ status: number; text: string }>((done, fail) => {
        const request = httpRequest(
          `${server.url}/subscribe`,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(chunked ? {} : { 'content-length': Buffer.byteLength(body) }),
            },
          },
          (response) => {
            let text = ''
            response.on('data', (chunk) => {
              text += chunk
            })
            response.on('end', () => done({ status: response.statusCode ?? 0, text }))
          },
        )
        request.on('error', fail)
        if (chunked) for (let i = 0; i < body.length; i += 4096) request.write(body.slice(i, i + 4096))
        request.end(chunked ? undefined : body)
      })
    try {
      const huge = JSON.stringify({
        email: 'huge@example.org',
        course: MAIN_COURSE,
        name: 'x'.repeat(20_000),
      })
      for (const chunked of [false, true]) {
        const refused = await post(huge, chunked)
        expect(refused.status, chunked ? 'chunked' : 'with a length').toBe(413)
        expect(refused.text).toContain('Too much data')
      }
      const small = (email: string) => JSON.stringify({ email, course: MAIN_COURSE, name: 'Sam' })
      expect((await post(small('length@example.org'), false)).status).toBe(201)
      expect((await post(small('chunks@example.org'), true)).status).toBe(201)
      expect(await subscriberRow(h, 'length@example.org')).toBeTruthy()
      expect(await subscriberRow(h, 'chunks@example.org')).toBeTruthy()
      expect(await subscriberRow(h, 'huge@example.org')).toBeUndefined()
    } finally {
      await server.close()
    }
  })

  it('answers 413 to oversized bodies, 405 to wrong methods, and allows cross-origin JSON signups', async () => {
    const big = await postForm(h, '/subscribe', {
      course: MAIN_COURSE,
      email: 'big@example.org',
      name: 'x'.repeat(20_000),
    })
    expect(big.status).toBe(413)
    const put = await h.services.web.request('/subscribe', { method: 'PUT' })
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toContain('POST')
    expect((await h.services.web.request('/', { method: 'DELETE' })).status).toBe(405)
    const preflight = await h.services.web.request('/subscribe', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://blog.example.net',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST')
    // Every answer to a post from another site says it may be read there: stored, refused, redirected.
    const post = (body: string, type: string) =>
      h.services.web.request('/subscribe', {
        method: 'POST',
        headers: { origin: 'https://blog.example.net', 'content-type': type },
        body,
      })
    const answers = [
      await post(JSON.stringify({ email: 'cors@example.org', course: MAIN_COURSE }), 'application/json'),
      await post(JSON.stringify({ email: 'not an address', course: MAIN_COURSE }), 'application/json'),
      await post(`email=cors2%40example.org&course=${MAIN_COURSE}`, 'application/x-www-form-urlencoded'),
    ]
    expect(answers.map((a) => a.status)).toEqual([201, 400, 303])
    for (const answer of answers) {
      expect(answer.headers.get('access-control-allow-origin')).toBe('*')
      // The route's own headers are kept beside it.
      expect(answer.headers.get('content-security-policy')).not.toBeNull()
    }
    expect(answers[0]!.headers.get('content-type')).toContain('application/json')
    expect(answers[2]!.headers.get('location')).toBe('/subscribe/thanks')
  })

  it('reports the database in /healthz', async () => {
    const response = await h.services.web.request('/healthz')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ ok: true })
  })

  it('answers /healthz with 503 and a body saying not ok when the database fails', async () => {
    const failing = vi
      .spyOn(h.services.webDeps.db, 'query')
      .mockRejectedValue(new Error('connect ECONNREFUSED 127.0.0.1:5432'))
    try {
      const response = await h.services.web.request('/healthz')
      expect(response.status).toBe(503)
      const body = await response.json()
      expect(body).toMatchObject({ ok: false })
      expect(JSON.stringify(body)).not.toContain('ECONNREFUSED')
    } finally {
      failing.mockRestore()
    }
    expect((await h.services.web.request('/healthz')).status).toBe(200)
  })
})

describe('signup rate limit', () => {
  it('answers 429 with a clear page once an address sends too many signups in a minute', async () => {
    const h = await createHarness({ engine: 'pglite', env: { SUBSCRIBE_RATE_LIMIT: '3' } })
    try {
      for (let i = 0; i < 3; i++)
        expect(
          (await postForm(h, '/subscribe', { course: MAIN_COURSE, email: `r${i}@example.org` })).status,
        ).toBe(303)
      const limited = await postForm(h, '/subscribe', { course: MAIN_COURSE, email: 'r4@example.org' })
      expect(limited.status).toBe(429)
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/)
      expect(await limited.text()).toContain('Too many')
      h.clock.advance(61_000)
      expect((await postForm(h, '/subscribe', { course: MAIN_COURSE, email: 'r5@example.org' })).status).toBe(
        303,
      )
    } finally {
      await h.close()
    }
  })
})
