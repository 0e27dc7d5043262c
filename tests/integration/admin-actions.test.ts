import type { Hono } from 'hono'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { addEndpoint } from '../../src/events/store'
import { adminRoutesWith } from '../../src/web/admin/routes'
import { createWebApp } from '../../src/web/app'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'
import { subscribeAndConfirm } from '../helpers/web'
import { startReceiver } from '../helpers/webhook-receiver'

const TOKEN = 'admin-token-0123456789abcdef'
const ORIGIN = 'https://course.example.org'
const ISSUE = 'healed-results'
const COURSE = 'avoiding-smp-regrets'

describe.each(ENGINES)('the admin pages and their actions, through HTTP (%s)', (engine) => {
  let h: Harness
  let app: Hono

  beforeEach(async () => {
    h = await createHarness({ engine, env: { ADMIN_TOKEN: TOKEN } })
    app = createWebApp(h.services.webDeps, [adminRoutesWith({ mailer: h.mailer })])
  })
  afterEach(async () => {
    await h.close()
  })

  const auth = { authorization: `Bearer ${TOKEN}` }
  const get = (path: string) => app.request(path, { headers: auth })
  const post = (path: string, fields: Record<string, string>, origin = ORIGIN) =>
    app.request(path, {
      method: 'POST',
      headers: { ...auth, origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    })
  const text = async (path: string) => {
    const response = await get(path)
    expect(response.status, path).toBe(200)
    return response.text()
  }
  const enrolment = async (id: number) =>
    (
      await h.db.query<{ status: string }>(
        'select status from enrolments where subscriber_id = $1 and course = $2',
        [id, COURSE],
      )
    ).rows[0]?.status

  it('serves every page behind the token, with no inline script or style', async () => {
    const { id } = await subscribeAndConfirm(h, 'pages@example.net', { course: COURSE })
    for (const path of [
      '/admin',
      '/admin/readers',
      `/admin/readers/${id}`,
      '/admin/newsletters',
      `/admin/newsletters/${ISSUE}`,
      '/admin/courses',
      '/admin/health',
      '/admin/audit',
    ]) {
      const page = await text(path)
      expect(page, path).toMatch(/<h1>[^<]+<\/h1>/)
      expect(page, path).not.toMatch(/\sstyle=|<style|<script(?! src)/)
      expect(page, path).toContain('<nav aria-label="Admin sections">')
      expect((await app.request(path, { headers: { accept: 'text/html' } })).status, path).toBe(401)
    }
    const script = /<script src="([^"]+)"/.exec(await text('/admin'))![1]!
    expect((await get(script)).headers.get('content-type')).toContain('javascript')
    expect((await app.request(script)).status).toBe(401)
  })

  it('refuses every action posted from another site (CSRF), changing nothing', async () => {
    const { id } = await subscribeAndConfirm(h, 'csrf@example.net', { course: COURSE })
    for (const [path, fields] of [
      [`/admin/readers/${id}/unsubscribe`, {}],
      [`/admin/readers/${id}/course`, { course: COURSE, action: 'pause' }],
      [`/admin/readers/${id}/erase`, { confirm: 'csrf@example.net' }],
      [`/admin/newsletters/${ISSUE}/send`, { confirm: 'yes' }],
    ] as const) {
      expect((await post(path, fields, 'https://evil.example')).status, path).toBe(403)
    }
    expect(await enrolment(id)).toBe('active')
    expect((await h.db.query('select 1 from audit_log')).rows).toEqual([])
    expect((await h.db.query('select 1 from newsletter_sends')).rows).toEqual([])
  })

  it('pauses, resumes, unsubscribes and erases a reader through the domain, each audited', async () => {
    const { id } = await subscribeAndConfirm(h, 'acts@example.net', { course: COURSE })
    const pause = await post(`/admin/readers/${id}/course`, { course: COURSE, action: 'pause' })
    expect(pause.status).toBe(303)
    expect(pause.headers.get('location')).toBe(`/admin/readers/${id}?done=course-changed`)
    expect(await enrolment(id)).toBe('paused')
    expect(await text(`/admin/readers/${id}?done=course-changed`)).toContain('Their course was changed.')
    await post(`/admin/readers/${id}/course`, { course: COURSE, action: 'resume' })
    expect(await enrolment(id)).toBe('active')
    // A move that does not apply changes nothing, and says so.
    const again = await post(`/admin/readers/${id}/course`, { course: COURSE, action: 'resume' })
    expect(again.headers.get('location')).toContain('course-unchanged')

    await post(`/admin/readers/${id}/unsubscribe`, {})
    const { rows } = await h.db.query<{ status: string }>('select status from subscribers where id = $1', [
      id,
    ])
    expect(rows[0]?.status).toBe('unsubscribed')
    const waiting = await h.db.query(
      "select 1 from deliveries where subscriber_id = $1 and status = 'queued'",
      [id],
    )
    expect(waiting.rows).toEqual([])

    const exported = await get(`/admin/readers/${id}/export.json`)
    expect(exported.headers.get('content-disposition')).toContain(`reader-${id}.json`)
    expect((await exported.json()).subscriber.email).toBe('acts@example.net')

    const wrong = await post(`/admin/readers/${id}/erase`, { confirm: 'someone@example.net' })
    expect(wrong.headers.get('location')).toContain('erase-mismatch')
    const erased = await post(`/admin/readers/${id}/erase`, { confirm: 'ACTS@example.net' })
    expect(erased.status).toBe(200)
    expect(await erased.text()).toContain(`Reader #${id} is erased`)
    expect((await get(`/admin/readers/${id}`)).status).toBe(404)

    const audit = await h.db.query<{ action: string; actor: string; detail: Record<string, unknown> }>(
      'select action, actor, detail from audit_log order by id',
    )
    expect(audit.rows.map((r) => [r.actor, r.action, r.detail.action ?? null])).toEqual([
      ['admin', 'subscriber.course', 'pause'],
      ['admin', 'subscriber.course', 'resume'],
      ['admin', 'subscriber.course', 'resume'],
      ['admin', 'subscriber.unsubscribe', null],
      ['admin', 'subscriber.export', null],
      ['admin', 'subscriber.erase', null],
    ])
  })

  it('resends a confirmation to a reader who has not confirmed', async () => {
    await app.request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'slow@example.net', course: COURSE }).toString(),
    })
    await h.services.sender.whenIdle()
    const { rows } = await h.db.query<{ id: number }>(
      "select id from subscribers where email_key = 'slow@example.net'",
    )
    const id = rows[0]!.id
    expect(await text(`/admin/readers/${id}`)).toContain('Resend the confirmation email')
    h.clock.advance(11 * 60 * 1000) // past the spacing after the first confirmation
    expect((await post(`/admin/readers/${id}/resend-confirmation`, {})).status).toBe(303)
    await h.services.sender.whenIdle()
    const confirmations = (await h.outbox()).filter((m) => m.to === 'slow@example.net')
    expect(confirmations).toHaveLength(2)
  })

  it('sends a test copy, refuses an unconfirmed send, then sends the issue to everyone and shows it done', async () => {
    await subscribeAndConfirm(h, 'one@example.net', { course: COURSE })
    await subscribeAndConfirm(h, 'two@example.net', { course: COURSE })
    expect((await post(`/admin/newsletters/${ISSUE}/test`, { to: 'editor@example.net' })).status).toBe(303)
    const test = (await h.outbox()).filter((m) => m.to === 'editor@example.net')
    expect(test.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[TEST\] /)])

    const unconfirmed = await post(`/admin/newsletters/${ISSUE}/send`, {})
    expect(unconfirmed.status).toBe(400)
    expect(await unconfirmed.text()).toContain('tick the box to confirm')
    const past = await post(`/admin/newsletters/${ISSUE}/send`, { at: '2020-01-01T09:00' })
    expect(past.status).toBe(400)

    const page = await text(`/admin/newsletters/${ISSUE}`)
    expect(page).toContain('2 readers (confirmed, newsletter on)')
    expect((await post(`/admin/newsletters/${ISSUE}/send`, { confirm: 'yes' })).status).toBe(303)
    const before = await (await get(`/admin/newsletters/${ISSUE}/progress.json`)).json()
    expect(before).toMatchObject({ status: 'scheduled', sent: 0 })
    await h.tick()
    const after = await (await get(`/admin/newsletters/${ISSUE}/progress.json`)).json()
    expect(after).toMatchObject({ status: 'sent', recipients: 2, sent: 2, waiting: 0, failed: 0 })
    expect(await text(`/admin/newsletters/${ISSUE}`)).toMatch(/sent on 2027-01-04 \d\d:\d\d UTC to 2 readers/)
    // Sent once: a second send is refused unless it goes only to readers who never got it.
    expect((await post(`/admin/newsletters/${ISSUE}/send`, { confirm: 'yes' })).status).toBe(409)
    expect((await post(`/admin/newsletters/${ISSUE}/send`, { confirm: 'yes', again: 'yes' })).status).toBe(
      303,
    )
    const actions = await h.db.query<{ action: string; target: string }>(
      'select action, target from audit_log order by id',
    )
    expect(actions.rows).toEqual([
      { action: 'newsletter.test', target: ISSUE },
      { action: 'newsletter.send', target: ISSUE },
      { action: 'newsletter.send', target: ISSUE },
    ])
  })

  it('schedules an issue for later, for the scheduler to send then', async () => {
    expect((await post(`/admin/newsletters/${ISSUE}/send`, { at: '2027-01-05T09:30' })).status).toBe(303)
    const { rows } = await h.db.query<{ status: string; scheduled_at: Date }>(
      'select status, scheduled_at from newsletter_sends',
    )
    expect(rows).toEqual([{ status: 'scheduled', scheduled_at: new Date('2027-01-05T09:30:00Z') }])
    expect(await text(`/admin/newsletters/${ISSUE}`)).toContain('scheduled for 2027-01-05 09:30 UTC')
  })

  it('shows each course with its pacing and per-lesson figures', async () => {
    await subscribeAndConfirm(h, 'course@example.net', { course: COURSE })
    const page = await text('/admin/courses')
    expect(page).toContain('Evergreen: day 0 is each reader')
    expect(page).toMatch(/<td data-label="Sent" class="num">1<\/td>/)
  })

  it('lists webhook endpoints with their deliveries, and turns one off, on, and removes it', async () => {
    const endpoint = await addEndpoint(
      h.db,
      { url: 'http://127.0.0.1:9/hook', events: [], secret: 'whsec_x' },
      h.clock.now(),
    )
    await subscribeAndConfirm(h, 'hooked@example.net', { course: COURSE })
    const page = await text('/admin/health')
    expect(page).toContain('http://127.0.0.1:9/hook')
    expect(page).toContain('subscriber.created')
    expect(page).toContain('Rate in force')
    const act = (action: string) => post(`/admin/health/endpoints/${endpoint.id}`, { action })
    expect((await act('disable')).headers.get('location')).toBe('/admin/health?done=disabled')
    expect(await text('/admin/health')).toContain('turned off in the admin')
    expect((await act('enable')).headers.get('location')).toBe('/admin/health?done=enabled')
    expect((await act('remove')).headers.get('location')).toBe('/admin/health?done=removed')
    expect(await text('/admin/health')).toContain('None yet.')
    const { rows } = await h.db.query<{ action: string }>('select action from audit_log order by id')
    expect(rows.map((r) => r.action)).toEqual(['webhook.disable', 'webhook.enable', 'webhook.remove'])
  })

  it('adds an endpoint with its secret shown once, sends it a test event, and keeps bad input', async () => {
    let secret = ''
    const receiver = await startReceiver(() => secret)
    try {
      expect(await text('/admin/health')).toContain('href="/admin/health/endpoints/new"')
      expect(await text('/admin/health/endpoints/new')).toContain('name="events" value="email.bounced"')
      const bad = await app.request('/admin/health/endpoints', {
        method: 'POST',
        headers: { ...auth, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'url=ftp%3A%2F%2Fexample.org%2Fx&events=subscriber.confirmed',
      })
      expect(bad.status).toBe(400)
      const again = await bad.text()
      expect(again).toContain('only http and https')
      expect(again).toContain('value="ftp://example.org/x"')
      expect(again).toMatch(/value="subscriber.confirmed" checked/)
      const added = await app.request('/admin/health/endpoints', {
        method: 'POST',
        headers: { ...auth, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams([
          ['url', receiver.url],
          ['events', 'subscriber.created'],
          ['events', 'subscriber.confirmed'],
        ]).toString(),
      })
      expect(added.status).toBe(200)
      secret = /<code>(whsec_[^<]+)<\/code>/.exec(await added.text())![1]!
      const [endpoint] = (
        await h.db.query<{ id: number; events: string[] }>('select id, events from webhook_endpoints')
      ).rows
      expect(endpoint!.events).toEqual(['subscriber.created', 'subscriber.confirmed'])
      const tested = await post(`/admin/health/endpoints/${endpoint!.id}`, { action: 'test' })
      expect(tested.headers.get('location')).toBe('/admin/health?done=tested')
      expect(receiver.received).toMatchObject([{ type: 'webhook.test', verified: true }])
      expect(await text('/admin/health?done=tested')).toContain('The test event was delivered')
      receiver.answerWith(() => 503)
      const failed = await post(`/admin/health/endpoints/${endpoint!.id}`, { action: 'test' })
      expect(failed.headers.get('location')).toBe('/admin/health?done=test-failed')
      const { rows } = await h.db.query<{ action: string }>('select action from audit_log order by id')
      expect(rows.map((r) => r.action)).toEqual(['webhook.add', 'webhook.test', 'webhook.test'])
    } finally {
      await receiver.close()
    }
  })
})
