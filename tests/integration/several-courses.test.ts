import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCourseOn } from '../helpers/cli'
import { FOLLOW_UP, runUntil, SHORT, sentLessons, shortCourse } from '../helpers/course'
import { ENGINES } from '../helpers/db'
import type { Harness } from '../helpers/harness'
import type { OutboxMessage } from '../helpers/outbox'
import { postForm, postJson, subscribeAndConfirm, subscriberRow } from '../helpers/web'

/**
 * Several courses in one installation: the short fixture course (days 0, 1, 3, 5) and the follow-up
 * (days 0, 1, 2, its last lesson offering the short course), one reader in both.
 */
describe.each(ENGINES)('several courses (%s)', (engine) => {
  let h: Harness
  beforeEach(async () => {
    h = await shortCourse({ engine, fixture: 'lessons-two', start: '2027-01-04T10:00:00Z' })
  })
  afterEach(async () => {
    await h.close()
  })

  const get = (path: string) => h.services.web.request(path)
  const local = (url: string) => url.replace('https://course.example.org', '')
  const oneClick = (url: string) =>
    h.services.web.request(local(url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    })
  const enrolments = async (id: number) =>
    Object.fromEntries(
      (
        await h.db.query<{ course: string; status: string }>(
          'select course, status from enrolments where subscriber_id = $1 order by course',
          [id],
        )
      ).rows.map((row) => [row.course, row.status]),
    )
  const mailTo = async (email: string) => (await h.outbox()).filter((m) => m.to === email)
  const listUnsubscribe = (message: OutboxMessage) =>
    /<(https:[^>]+)>/.exec(message.header('List-Unsubscribe')!)![1]!
  /** Ticks every 5 minutes (up to two hours) until `email` has a message with this subject. */
  async function waitForMail(email: string, subject: string) {
    for (let i = 0; i <= 24; i++) {
      const found = (await mailTo(email)).find((m) => m.subject === subject)
      if (found) return found
      h.clock.advance(5 * 60 * 1000)
      await h.tick()
    }
    throw new Error(`no "${subject}" for ${email}`)
  }
  /** Signs a confirmed reader up for the follow-up through the public form and starts it from the invitation. */
  async function startFollowUp(email: string) {
    await postForm(h, '/subscribe', { email, course: FOLLOW_UP })
    await h.services.sender.whenIdle()
    // Asks to one address are spaced out: the invitation follows the confirmation after 10 minutes.
    const invitation = await waitForMail(email, 'Start The follow-up course?')
    const link = invitation.link('/courses/follow-up/start')!
    const posted = await postForm(
      h,
      '/courses/follow-up/start',
      Object.fromEntries(new URL(link).searchParams),
    )
    expect(posted.status).toBe(200)
    await h.services.sender.whenIdle()
    return link
  }

  it('lists the courses, gives each its signup page, and asks which course a signup is for', async () => {
    const home = await (await get('/')).text()
    expect(home).toContain('href="/courses/short"')
    expect(home).toContain('href="/courses/follow-up"')
    expect(home.indexOf('The short course')).toBeLessThan(home.indexOf('The follow-up course'))
    const page = await get('/courses/follow-up')
    const html = await page.text()
    expect(page.status).toBe(200)
    expect(html).toContain('<input type="hidden" name="course" value="follow-up">')
    expect(html).toContain('Extra words for the signup page of <strong>the follow-up course</strong>.')
    expect((await get('/courses/nope')).status).toBe(404)

    const unnamed = await postForm(h, '/subscribe', { email: 'which@example.org' })
    expect(unnamed.status).toBe(400)
    expect(await unnamed.text()).toContain('Choose a course: short, follow-up.')
    const json = await postJson(h, '/subscribe', { email: 'which@example.org', course: 'nope' })
    expect(json.status).toBe(400)
    expect(await json.json()).toEqual({
      ok: false,
      errors: { course: 'There is no course "nope". Choose one of: short, follow-up.' },
    })
    expect(await subscriberRow(h, 'which@example.org')).toBeUndefined()

    const named = await postJson(h, '/subscribe', { email: 'which@example.org', course: FOLLOW_UP })
    expect(named.status).toBe(201)
    await h.services.sender.whenIdle()
    const [confirmation] = await mailTo('which@example.org')
    expect(confirmation!.link('/confirm')).toMatch(/\/confirm\?token=[^&]+&course=follow-up$/)
  })

  it('sends one reader each lesson of two overlapping courses once, never two on one local day, at 09:00 their time', async () => {
    const email = 'both@example.org'
    const { id } = await subscribeAndConfirm(h, email, { course: SHORT, timezone: 'America/New_York' })
    await startFollowUp(email)
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'active', [SHORT]: 'active' })
    await runUntil(h, '2027-01-20T00:00:00Z', 30)

    const sent = await sentLessons(h)
    const lines = sent.map((s) => `${s.course}/${s.item} ${s.local}`)
    // Each lesson once, each course in its order.
    expect(lines.filter((l) => l.startsWith('short/')).map((l) => l.split(' ')[0])).toEqual([
      'short/start',
      'short/second',
      'short/third',
      'short/fourth',
    ])
    expect(lines.filter((l) => l.startsWith('follow-up/')).map((l) => l.split(' ')[0])).toEqual([
      'follow-up/hello',
      'follow-up/next-step',
      'follow-up/last-word',
    ])
    // Never two on one local day: where the two courses meet, the lesson planned later moves on a
    // day (the short course's were planned first), and the follow-up's next lessons keep their spacing
    // from there.
    const days = sent.map((s) => s.local.slice(0, 10))
    expect(new Set(days).size).toBe(days.length)
    // Day 0 of the first course went at once on confirming (05:00 in New York); every other lesson at
    // 09:00 there.
    expect(lines[0]).toBe('short/start 2027-01-04 05:00')
    expect(sent.slice(1).every((s) => s.local.endsWith(' 09:00'))).toBe(true)
    expect(lines).toEqual([
      'short/start 2027-01-04 05:00',
      'short/second 2027-01-05 09:00',
      'follow-up/hello 2027-01-06 09:00',
      'short/third 2027-01-07 09:00',
      'follow-up/next-step 2027-01-08 09:00',
      'short/fourth 2027-01-09 09:00',
      'follow-up/last-word 2027-01-10 09:00',
    ])
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'completed', [SHORT]: 'completed' })
  })

  it('lets LESSONS_PER_DAY allow more than one lesson a day', async () => {
    await h.close()
    h = await shortCourse({
      engine,
      fixture: 'lessons-two',
      start: '2027-01-04T10:00:00Z',
      env: { LESSONS_PER_DAY: '2' },
    })
    const email = 'two-a-day@example.org'
    await subscribeAndConfirm(h, email, { course: SHORT, timezone: 'UTC' })
    await startFollowUp(email)
    await runUntil(h, '2027-01-12T00:00:00Z', 60)
    const lines = (await sentLessons(h)).map((s) => `${s.course}/${s.item} ${s.local}`)
    expect(lines).toEqual([
      'short/start 2027-01-04 10:00',
      'follow-up/hello 2027-01-04 10:10', // the invitation came 10 minutes after the confirmation
      'short/second 2027-01-05 09:00',
      'follow-up/next-step 2027-01-05 09:00',
      'follow-up/last-word 2027-01-06 09:00',
      'short/third 2027-01-07 09:00',
      'short/fourth 2027-01-09 09:00',
    ])
  })

  it('asks a confirmed reader before a second course: a "Start" email whose page POSTs, never a lesson', async () => {
    const email = 'consent@example.org'
    const { id } = await subscribeAndConfirm(h, email, { course: SHORT })
    h.clock.advance(60 * 60 * 1000)
    const before = (await mailTo(email)).length
    // Anyone can type the address into the follow-up's form: the reader gets one short email, no lesson.
    expect((await postForm(h, '/subscribe', { email, course: FOLLOW_UP })).status).toBe(303)
    await h.services.sender.whenIdle()
    const mail = await mailTo(email)
    expect(mail).toHaveLength(before + 1)
    const invitation = mail.at(-1)!
    expect(invitation.subject).toBe('Start The follow-up course?')
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'pending', [SHORT]: 'active' })
    // A second signup right away sends nothing more now (asks are spaced out).
    await postForm(h, '/subscribe', { email, course: FOLLOW_UP })
    await h.tick()
    expect(await mailTo(email)).toHaveLength(before + 1)

    // Opening the link (as a link scanner would) changes nothing; the page's button does.
    const link = invitation.link('/courses/follow-up/start')!
    const shown = await get(local(link))
    expect(shown.status).toBe(200)
    expect(await shown.text()).toContain('<button type="submit">Start The follow-up course</button>')
    await h.services.sender.whenIdle()
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'pending', [SHORT]: 'active' })
    // The link is for this course only.
    const token = new URL(link).searchParams.get('token')!
    expect((await postForm(h, '/courses/short/start', { token })).status).toBe(400)
    expect((await postForm(h, '/courses/follow-up/start', { token: `${token}x` })).status).toBe(400)
    const started = await postForm(h, '/courses/follow-up/start', { token })
    expect(started.status).toBe(200)
    expect(await started.text()).toContain('The follow-up course: started')
    await h.services.sender.whenIdle()
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'active', [SHORT]: 'active' })
    // Pressing it again changes nothing.
    expect(await (await postForm(h, '/courses/follow-up/start', { token })).text()).toContain(
      'You are reading it already',
    )
    // One click on the invitation's List-Unsubscribe would have declined that course only.
    expect(new URL(listUnsubscribe(invitation)).searchParams.get('list')).toBe(FOLLOW_UP)
  })

  it('leaves one course on its lessons’ one-click unsubscribe, the other running; the newsletter’s stops the newsletter', async () => {
    const email = 'leaver@example.org'
    const { id } = await subscribeAndConfirm(h, email, { course: SHORT, timezone: 'UTC' })
    await startFollowUp(email)
    await runUntil(h, '2027-01-06T12:00:00Z')
    const followUpLesson = (await mailTo(email)).find((m) => m.subject === 'Hello again (follow-up subject)')!
    const url = listUnsubscribe(followUpLesson)
    expect(new URL(url).searchParams.get('list')).toBe(FOLLOW_UP)
    // The page offers leaving the course, and stopping everything.
    const page = await (await get(local(url))).text()
    expect(page).toContain('Leave The follow-up course?')
    expect(page).toContain('Stop all email from us')
    expect((await oneClick(url)).status).toBe(200)
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'left', [SHORT]: 'active' })
    expect(await subscriberRow(h, email)).toMatchObject({ status: 'confirmed', newsletter_opt_in: true })

    await runUntil(h, '2027-01-15T00:00:00Z')
    const sent = (await sentLessons(h)).map((s) => `${s.course}/${s.item}`)
    expect(sent.filter((s) => s.startsWith('follow-up/'))).toEqual(['follow-up/hello'])
    expect(sent.filter((s) => s.startsWith('short/'))).toEqual([
      'short/start',
      'short/second',
      'short/third',
      'short/fourth',
    ])

    // A newsletter issue's one-click stops only the newsletter.
    const issue = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--yes'])
    expect(issue.code, issue.err).toBe(0)
    await runUntil(h, '2027-01-15T02:00:00Z', 30)
    const letter = (await mailTo(email)).find((m) => m.subject === 'News for autumn')!
    const letterUrl = listUnsubscribe(letter)
    expect(new URL(letterUrl).searchParams.get('list')).toBe('newsletter')
    expect((await oneClick(letterUrl)).status).toBe(200)
    expect(await subscriberRow(h, email)).toMatchObject({ status: 'confirmed', newsletter_opt_in: false })
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'left', [SHORT]: 'completed' })
  })

  it('starts the other course from the offer in a last lesson, with the reader’s own link', async () => {
    const email = 'offer@example.org'
    const { id } = await subscribeAndConfirm(h, email, { course: FOLLOW_UP, timezone: 'UTC' })
    await runUntil(h, '2027-01-06T12:00:00Z')
    const last = (await mailTo(email)).find((m) => m.subject === 'The last word (follow-up subject)')!
    expect(last.text).toContain('The short course')
    const link = last.link('/courses/short/start')!
    expect(link).toBeTruthy()
    // No other lesson offers anything.
    expect((await mailTo(email)).filter((m) => m.link('/start?'))).toHaveLength(1)
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'completed' })
    expect((await get(local(link))).status).toBe(200)
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'completed' })
    const started = await postForm(h, '/courses/short/start', Object.fromEntries(new URL(link).searchParams))
    expect(started.status).toBe(200)
    await h.services.sender.whenIdle()
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'completed', [SHORT]: 'active' })
    // Day 0 of the short course waits for tomorrow morning: the last lesson went today.
    await runUntil(h, '2027-01-08T12:00:00Z')
    expect((await sentLessons(h)).map((s) => `${s.course}/${s.item} ${s.local}`).slice(-2)).toEqual([
      'short/start 2027-01-07 09:00',
      'short/second 2027-01-08 09:00',
    ])
  })

  it('shows every course on the preferences page with its own actions, and restarts a finished one', async () => {
    const email = 'prefs@example.org'
    const { id } = await subscribeAndConfirm(h, email, { course: FOLLOW_UP, timezone: 'UTC' })
    await runUntil(h, '2027-01-07T00:00:00Z')
    await postForm(h, '/subscribe', { email, course: SHORT })
    await h.services.sender.whenIdle()
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'completed', [SHORT]: 'pending' })

    const t = (await mailTo(email)).find((m) => m.link('/preferences'))!.link('/preferences')!
    const page = await (await get(local(t))).text()
    expect(page).toContain('<h3>The follow-up course</h3>')
    expect(page).toContain('finished')
    expect(page).toContain('value="course:restart:follow-up"')
    expect(page).toContain('<h3>The short course</h3>')
    expect(page).toContain('waiting for you to start it')
    expect(page).toContain('value="course:start:short"')

    const token = new URL(t).searchParams.get('token')!
    const restarted = await postForm(h, '/preferences', { token, action: 'course:restart:follow-up' })
    // The first lesson goes at once: by the time the page is drawn it may already be sent.
    expect(await restarted.text()).toMatch(/running: [01] of 3 lessons so far/)
    await h.services.sender.whenIdle()
    await runUntil(h, '2027-01-12T00:00:00Z')
    const { rows } = await h.db.query<{ item: string; round: number; status: string }>(
      `select item, round, status from deliveries where subscriber_id = $1 and kind = 'lesson' order by round, id`,
      [id],
    )
    expect(rows.map((r) => `${r.round} ${r.item} ${r.status}`)).toEqual([
      '1 hello sent',
      '1 next-step sent',
      '1 last-word sent',
      '2 hello sent',
      '2 next-step sent',
      '2 last-word sent',
    ])
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'completed', [SHORT]: 'pending' })

    // Each course has its own pause: pausing one leaves the other as it is.
    await postForm(h, '/preferences', { token, action: 'course:start:short' })
    await h.services.sender.whenIdle()
    await postForm(h, '/preferences', { token, action: 'course:pause:short' })
    expect(await enrolments(id)).toEqual({ [FOLLOW_UP]: 'completed', [SHORT]: 'paused' })
    const unknown = await postForm(h, '/preferences', { token, action: 'course:pause:nope' })
    expect(unknown.status).toBe(400)
  })
})
