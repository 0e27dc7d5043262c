import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createToken } from '../../src/lib/links'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'
import { MAIN_COURSE, postForm, subscribeAndConfirm, subscriberRow } from '../helpers/web'

describe.each(ENGINES)('unsubscribe, preferences and links (%s)', (engine) => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness({ engine })
  })
  afterEach(async () => {
    await h.close()
  })
  const token = (purpose: 'confirm' | 'unsubscribe' | 'preferences', id: number, expires?: Date) =>
    createToken(h.config.secret, purpose, id, expires)
  /** What the button on a confirmation link's page posts: the link's token and course. */
  const confirmFields = (link: string) => Object.fromEntries(new URL(link).searchParams)
  const enrolment = async (id: number) =>
    (await h.db.query<{ status: string }>('select status from enrolments where subscriber_id = $1', [id]))
      .rows[0]?.status
  const queuedLessons = async (id: number) =>
    (
      await h.db.query<{ item: string }>(
        `select item from deliveries where subscriber_id = $1 and kind = 'lesson' and status = 'queued'`,
        [id],
      )
    ).rows

  it('leaves the course at once on the RFC 8058 one-click POST from a lesson’s List-Unsubscribe header', async () => {
    const { id } = await subscribeAndConfirm(h, 'one@example.org')
    const lesson = (await h.outbox()).at(-1)!
    const header = lesson.header('List-Unsubscribe')!
    const url = /<(https:[^>]+)>/.exec(header)![1]!
    expect(new URL(url).searchParams.get('list')).toBe(MAIN_COURSE)
    expect(lesson.header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click')
    expect(await queuedLessons(id)).toHaveLength(1)
    const response = await h.services.web.request(url.replace('https://course.example.org', ''), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    })
    expect(response.status).toBe(200)
    expect((await response.text()).length).toBeLessThan(40)
    // The list that message belongs to is the course: the reader leaves it and stays on the newsletter.
    expect(await subscriberRow(h, 'one@example.org')).toMatchObject({
      status: 'confirmed',
      newsletter_opt_in: true,
    })
    expect(await enrolment(id)).toBe('left')
    expect(await queuedLessons(id)).toHaveLength(0)
    // The next lesson's day comes: nothing is sent.
    const before = (await h.outbox()).length
    h.clock.advanceDays(10)
    await h.tick()
    expect(await h.outbox()).toHaveLength(before)
  })

  it('lets someone whose address a stranger entered opt out from the confirmation email itself', async () => {
    const email = 'notme@example.org'
    await postForm(h, '/subscribe', { course: MAIN_COURSE, email })
    await h.services.sender.whenIdle()
    const confirmation = (await h.outbox()).at(-1)!
    expect(confirmation.subject).toContain('Confirm')
    const url = /<(https:[^>]+)>/.exec(confirmation.header('List-Unsubscribe')!)![1]!
    expect(confirmation.html).toContain(url.replaceAll('&', '&amp;'))
    const response = await h.services.web.request(url.replace('https://course.example.org', ''), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    })
    expect(response.status).toBe(200)
    expect((await subscriberRow(h, email))?.status).toBe('unsubscribed')
    // As the email says: entered again, the address gets at most one confirmation a day.
    const count = async () => (await h.outbox()).filter((m) => m.to === email).length
    for (let i = 0; i < 3; i++) {
      await postForm(h, '/subscribe', { course: MAIN_COURSE, email })
      await h.tick()
      h.clock.advance(60 * 60 * 1000)
    }
    expect(await count()).toBe(2)
    // The request made meanwhile waits for its day, and then goes (once).
    h.clock.advanceDays(1)
    await postForm(h, '/subscribe', { course: MAIN_COURSE, email })
    await h.tick()
    expect(await count()).toBe(3)
    h.clock.advance(60 * 60 * 1000)
    await h.tick()
    expect(await count()).toBe(3)
  })

  it('only shows choices on GET (link scanners), and acts on the button chosen', async () => {
    const { id } = await subscribeAndConfirm(h, 'choice@example.org')
    const page = await h.services.web.request(`/unsubscribe?token=${token('unsubscribe', id)}`)
    const html = await page.text()
    expect(page.status).toBe(200)
    expect(html).toContain('value="unsubscribe"')
    expect(html).toContain(`value="pause:${MAIN_COURSE}"`)
    expect(html).toContain('value="newsletter-off"')
    expect((await subscriberRow(h, 'choice@example.org'))?.status).toBe('confirmed')

    await postForm(h, '/unsubscribe', { token: token('unsubscribe', id), action: 'newsletter-off' })
    expect(await subscriberRow(h, 'choice@example.org')).toMatchObject({
      status: 'confirmed',
      newsletter_opt_in: false,
    })
    // A choice the page never offers changes nothing.
    const odd = await postForm(h, '/unsubscribe', { token: token('unsubscribe', id), action: 'pause' })
    expect(odd.status).toBe(400)
    expect(await queuedLessons(id)).toHaveLength(1)
    await postForm(h, '/unsubscribe', { token: token('unsubscribe', id), action: `pause:${MAIN_COURSE}` })
    expect((await subscriberRow(h, 'choice@example.org'))?.status).toBe('confirmed')
    expect(await enrolment(id)).toBe('paused')
    expect(await queuedLessons(id)).toHaveLength(0)
    const done = await postForm(h, '/unsubscribe', { token: token('unsubscribe', id), action: 'unsubscribe' })
    expect(await done.text()).toContain('unsubscribed')
    expect((await subscriberRow(h, 'choice@example.org'))?.status).toBe('unsubscribed')
  })

  it('lets people pause and resume, change name and time zone, stop the newsletter, leave and come back', async () => {
    const { id } = await subscribeAndConfirm(h, 'prefs@example.org', {
      name: 'Pat',
      timezone: 'Europe/London',
    })
    const t = token('preferences', id)
    const page = await (await h.services.web.request(`/preferences?token=${t}`)).text()
    expect(page).toContain('value="Pat"')
    expect(page).toContain('<option value="Europe/London" selected>London</option>')

    await postForm(h, '/preferences', {
      token: t,
      action: 'save',
      name: 'Patricia',
      timezone: 'America/Chicago',
      newsletter: '1',
    })
    expect(await subscriberRow(h, 'prefs@example.org')).toMatchObject({
      name: 'Patricia',
      timezone: 'America/Chicago',
      newsletter_opt_in: true,
    })
    const [queued] = (
      await h.db.query<{ due_at: Date }>(
        `select due_at from deliveries where subscriber_id = $1 and status = 'queued'`,
        [id],
      )
    ).rows
    expect(queued!.due_at.toISOString()).toBe('2027-01-06T15:00:00.000Z') // day 2, 09:00 in Chicago

    await postForm(h, '/preferences', {
      token: t,
      action: 'save',
      name: 'Patricia',
      timezone: 'America/Chicago',
    })
    expect((await subscriberRow(h, 'prefs@example.org'))?.newsletter_opt_in).toBe(false)
    const paused = await postForm(h, '/preferences', { token: t, action: `course:pause:${MAIN_COURSE}` })
    expect(await paused.text()).toContain(`value="course:resume:${MAIN_COURSE}"`)
    expect(await enrolment(id)).toBe('paused')
    expect(await queuedLessons(id)).toHaveLength(0)
    h.clock.advanceDays(5)
    await postForm(h, '/preferences', { token: t, action: `course:resume:${MAIN_COURSE}` })
    expect(await enrolment(id)).toBe('active')
    expect(await queuedLessons(id)).toHaveLength(1)

    const left = await postForm(h, '/preferences', { token: t, action: 'unsubscribe' })
    expect(await left.text()).toContain('value="resubscribe"')
    expect(await queuedLessons(id)).toHaveLength(0)
    const back = await postForm(h, '/preferences', { token: t, action: 'resubscribe' })
    expect(await back.text()).toContain('Welcome back')
    expect((await subscriberRow(h, 'prefs@example.org'))?.status).toBe('confirmed')
    expect(await queuedLessons(id)).toHaveLength(1)
  })

  it('never moves a reader to another zone they did not choose, whatever name their zone has', async () => {
    // Firefox and Safari send Asia/Kolkata; Node lists Asia/Calcutta; an API client may send any case.
    const { id } = await subscribeAndConfirm(h, 'india@example.org', { timezone: 'Asia/Kolkata' })
    expect((await subscriberRow(h, 'india@example.org'))?.timezone).toBe('Asia/Kolkata')
    const due = async () =>
      (
        await h.db.query<{ due_at: Date }>(
          `select due_at from deliveries where subscriber_id = $1 and status = 'queued'`,
          [id],
        )
      ).rows[0]!.due_at.toISOString()
    const before = await due()
    for (const stored of ['Asia/Calcutta', 'asia/kolkata', 'Asia/Kolkata']) {
      await h.db.query('update subscribers set timezone = $2 where id = $1', [id, stored])
      const t = token('preferences', id)
      const page = await (await h.services.web.request(`/preferences?token=${t}`)).text()
      // The picker shows their zone selected, under its current name, among regions.
      expect(page).toContain('<option value="Asia/Kolkata" selected>Kolkata</option>')
      expect(page).toContain('<optgroup label="Europe">')
      expect(page).not.toContain('Asia/Calcutta')
      expect(page.match(/ selected>/g)).toHaveLength(1)
      // Saving the name, sending back what the page showed, moves nothing.
      await postForm(h, '/preferences', { token: t, action: 'save', name: 'Asha', timezone: 'Asia/Kolkata' })
      expect((await subscriberRow(h, 'india@example.org'))?.timezone).toBe('Asia/Kolkata')
      expect(await due()).toBe(before)
    }
    // A form without a zone (or with a junk one) leaves the zone alone instead of choosing UTC.
    const t = token('preferences', id)
    await postForm(h, '/preferences', { token: t, action: 'save', name: 'Asha' })
    await postForm(h, '/preferences', { token: t, action: 'save', name: 'Asha', timezone: 'Mars/Olympus' })
    expect((await subscriberRow(h, 'india@example.org'))?.timezone).toBe('Asia/Kolkata')
    expect(await due()).toBe(before)
  })

  it('refuses a name with a web address on the preferences page, saving nothing and keeping the input', async () => {
    const { id } = await subscribeAndConfirm(h, 'named@example.org', { name: 'Sam' })
    const t = token('preferences', id)
    const response = await postForm(h, '/preferences', {
      token: t,
      action: 'save',
      name: 'www.evil.example',
      timezone: 'Europe/Paris',
    })
    expect(response.status).toBe(400)
    const page = await response.text()
    expect(page).toContain('Nothing was saved')
    expect(page).toContain('value="www.evil.example"')
    expect(await subscriberRow(h, 'named@example.org')).toMatchObject({ name: 'Sam', timezone: 'UTC' })
  })

  it.each([
    ['/confirm?token=', 400],
    ['/confirm?token=1.0.abc', 400],
    ['/confirm?token=zzzzzzzzzzzzzzz', 400],
    ['/unsubscribe?token=1.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 400],
    ['/preferences?token=not-a-token', 400],
  ])(
    'answers a forged or truncated link %s with a friendly page that leaks nothing',
    async (path, status) => {
      const response = await h.services.web.request(path)
      const html = await response.text()
      expect(response.status).toBe(status)
      expect(html).toContain('not valid')
      expect(html).not.toMatch(/@|stack|Error:|at \w+ \(/)
    },
  )

  it('refuses a token made for another purpose, or signed with another secret', async () => {
    const { id } = await subscribeAndConfirm(h, 'purpose@example.org')
    expect((await h.services.web.request(`/preferences?token=${token('unsubscribe', id)}`)).status).toBe(400)
    const foreign = createToken('another-secret-another-secret-another-secret', 'preferences', id)
    expect((await h.services.web.request(`/preferences?token=${foreign}`)).status).toBe(400)
  })

  it('offers a fresh link for an expired confirmation, and sends one', async () => {
    await postForm(h, '/subscribe', { course: MAIN_COURSE, email: 'late@example.org' })
    await h.services.sender.whenIdle()
    const link = (await h.outbox())[0]!.link('/confirm')!
    h.clock.advanceDays(8)
    const path = link.replace('https://course.example.org', '')
    const expired = await h.services.web.request(path)
    expect(expired.status).toBe(400)
    const expiredPage = await expired.text()
    expect(expiredPage).toContain('Send me a new link')
    expect(expiredPage).not.toMatch(/@|stack|Error:|at \w+ \(/)
    const posted = await postForm(h, '/confirm', confirmFields(link))
    expect(posted.status).toBe(400)
    expect(await posted.text()).toContain('Send me a new link')
    expect((await subscriberRow(h, 'late@example.org'))?.status).toBe('pending')
    await postForm(h, '/confirm/resend', confirmFields(link))
    await h.services.sender.whenIdle()
    const confirmations = (await h.outbox()).filter((m) => m.subject.includes('Confirm'))
    expect(confirmations).toHaveLength(2)
    expect((await postForm(h, '/confirm', confirmFields(confirmations[1]!.link('/confirm')!))).status).toBe(
      200,
    )
    expect((await subscriberRow(h, 'late@example.org'))?.status).toBe('confirmed')
  })

  it('still confirms 6 days 23 hours after signup (links work for 7 days)', async () => {
    await postForm(h, '/subscribe', { course: MAIN_COURSE, email: 'nearly@example.org' })
    await h.services.sender.whenIdle()
    const link = (await h.outbox())[0]!.link('/confirm')!
    h.clock.advance((6 * 24 + 23) * 60 * 60 * 1000)
    const shown = await h.services.web.request(link.replace('https://course.example.org', ''))
    expect(shown.status).toBe(200)
    expect(await shown.text()).toContain('Confirm my subscription')
    const posted = await postForm(h, '/confirm', confirmFields(link))
    expect(posted.status).toBe(200)
    expect((await subscriberRow(h, 'nearly@example.org'))?.status).toBe('confirmed')
  })

  it('confirming twice is harmless, and an old link cannot bring back someone who left', async () => {
    const { id, token: confirmToken } = await subscribeAndConfirm(h, 'twice@example.org')
    const again = await postForm(h, '/confirm', { token: confirmToken, course: MAIN_COURSE })
    expect(await again.text()).toContain('already subscribed')
    await postForm(h, '/unsubscribe', { token: token('unsubscribe', id), action: 'unsubscribe' })
    const old = await postForm(h, '/confirm', { token: confirmToken, course: MAIN_COURSE })
    expect(old.status).toBe(400)
    expect((await subscriberRow(h, 'twice@example.org'))?.status).toBe('unsubscribed')
  })
})
