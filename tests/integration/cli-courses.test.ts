import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCourseOn } from '../helpers/cli'
import { FOLLOW_UP, runUntil, SHORT, shortCourse } from '../helpers/course'
import type { Harness } from '../helpers/harness'
import { postForm, subscribeAndConfirm } from '../helpers/web'

/** The CLI with two courses: the short fixture course and the follow-up. */
describe('the course CLI with several courses', () => {
  let h: Harness
  beforeEach(async () => {
    h = await shortCourse({ engine: 'pglite', fixture: 'lessons-two', start: '2027-01-04T10:00:00Z' })
  })
  afterEach(async () => {
    await h.close()
  })

  /** Three readers: one in the short course, one in the follow-up, one waiting to confirm the follow-up. */
  async function readers() {
    await subscribeAndConfirm(h, 'short@example.org', { course: SHORT, timezone: 'UTC' })
    await subscribeAndConfirm(h, 'follow@example.org', { course: FOLLOW_UP, timezone: 'UTC' })
    await postForm(h, '/subscribe', { email: 'waiting@example.org', course: FOLLOW_UP })
    await h.services.sender.whenIdle()
  }

  it('course courses lists each course with its lessons and readers by state', async () => {
    await readers()
    const result = await runCourseOn(h, ['courses'])
    expect(result.code, result.err).toBe(0)
    const lines = result.out.trim().split('\n')
    expect(lines[0]).toMatch(
      /^course\s+title\s+lessons\s+last day\s+pending\s+active\s+paused\s+completed\s+left$/,
    )
    expect(lines[2]).toMatch(/^short\s+The short course\s+4\s+5\s+0\s+1\s+0\s+0\s+0$/)
    expect(lines[3]).toMatch(/^follow-up\s+The follow-up course\s+3\s+2\s+1\s+1\s+0\s+0\s+0$/)
    const json = JSON.parse((await runCourseOn(h, ['courses', '--json'])).out)
    expect(json.courses[1]).toEqual({
      slug: FOLLOW_UP,
      title: 'The follow-up course',
      pacing: 'evergreen',
      lessons: 3,
      days: 2,
      enrolments: { pending: 1, active: 1, paused: 0, completed: 0, left: 0 },
    })
    expect(json.orphaned).toEqual([])
  })

  it('status, stats and simulate take --course, and name the courses when it is wrong', async () => {
    await readers()
    await runUntil(h, '2027-01-06T12:00:00Z')
    const status = await runCourseOn(h, ['status', '--course', FOLLOW_UP])
    expect(status.code, status.err).toBe(0)
    expect(status.out).toMatch(/follow-up\s+completed\s+1/)
    expect(status.out).toMatch(/follow-up\s+pending\s+1/)
    expect(status.out).toMatch(/lesson\s+follow-up\s+last-word\s+sent\s+1/)
    expect(status.out).not.toMatch(/lesson\s+short\s/)

    const stats = JSON.parse((await runCourseOn(h, ['stats', '--json', '--course', SHORT])).out)
    expect(stats.courses).toEqual([{ slug: SHORT, title: 'The short course' }])
    expect(new Set(stats.lessons.map((l: { course: string }) => l.course))).toEqual(new Set([SHORT]))
    expect(stats.funnel[0]).toEqual({ course: SHORT, step: 'Signed up', people: 1, share: 1 })
    const everything = JSON.parse((await runCourseOn(h, ['stats', '--json'])).out)
    expect(everything.funnel.filter((s: { step: string }) => s.step === 'Signed up')).toEqual([
      { course: SHORT, step: 'Signed up', people: 1, share: 1 },
      { course: FOLLOW_UP, step: 'Signed up', people: 2, share: 1 },
    ])

    const planned = await runCourseOn(h, [
      'simulate',
      '--timezone',
      'UTC',
      '--confirmed-at',
      '2027-01-04T10:00:00Z',
      '--course',
      FOLLOW_UP,
    ])
    expect(planned.code, planned.err).toBe(0)
    expect(planned.out).toContain('The follow-up course (follow-up)')
    expect(planned.out).toMatch(/2\s+last-word\s+Wed 2027-01-06 09:00/)
    const reader = await runCourseOn(h, ['simulate', '--email', 'follow@example.org'])
    expect(reader.out).toContain('The follow-up course (follow-up): completed')
    expect(reader.out).not.toContain('The short course')

    // With several courses, a command about one course needs to know which.
    for (const args of [
      ['simulate', '--timezone', 'UTC', '--confirmed-at', '2027-01-04T10:00:00Z'],
      ['status', '--course', 'nope'],
      ['stats', '--course', 'nope'],
    ]) {
      const wrong = await runCourseOn(h, args)
      expect(wrong.code, args.join(' ')).toBe(2)
      expect(wrong.err).toMatch(/courses: short, follow-up/)
    }
  })

  it('subscribers import --course enrols new people in that course; export lists every enrolment', async () => {
    await readers()
    const file = path.join(h.dir, 'people.csv')
    writeFileSync(
      file,
      'email,name,timezone,confirmed_at,consent_source\nnew@example.org,New,UTC,2026-12-01T10:00:00Z,webinar\n',
    )
    const unnamed = await runCourseOn(h, ['subscribers', 'import', 'people.csv'])
    expect(unnamed.code).toBe(2)
    expect(unnamed.err).toContain('give --course (courses: short, follow-up)')
    const imported = await runCourseOn(h, ['subscribers', 'import', 'people.csv', '--course', FOLLOW_UP])
    expect(imported.code, imported.err).toBe(0)
    await h.tick()
    expect((await h.outbox()).find((m) => m.to === 'new@example.org')?.subject).toBe(
      'Hello again (follow-up subject)',
    )

    // The short-course reader also starts the follow-up, then leaves it.
    await runUntil(h, '2027-01-04T11:00:00Z', 10)
    await postForm(h, '/subscribe', { email: 'short@example.org', course: FOLLOW_UP })
    await h.services.sender.whenIdle()
    const invitation = (await h.outbox()).find((m) => m.subject === 'Start The follow-up course?')!
    const link = new URL(invitation.link('/courses/follow-up/start')!)
    await postForm(h, '/courses/follow-up/start', Object.fromEntries(link.searchParams))
    const { rows } = await h.db.query<{ id: number }>(
      `select id from subscribers where email_key = 'short@example.org'`,
    )
    await h.db.query(`update enrolments set status = 'left' where subscriber_id = $1 and course = $2`, [
      rows[0]!.id,
      FOLLOW_UP,
    ])

    const exported = await runCourseOn(h, ['subscribers', 'export'])
    const records = parse(exported.out, { columns: true }) as Record<string, string>[]
    const courses = Object.fromEntries(records.map((r) => [r.email, r.courses]))
    expect(courses).toEqual({
      'short@example.org': 'follow-up:left;short:active',
      'follow@example.org': 'follow-up:active',
      'waiting@example.org': 'follow-up:pending',
      'new@example.org': 'follow-up:active',
    })

    const shown = JSON.parse((await runCourseOn(h, ['subscribers', 'show', 'short@example.org'])).out)
    expect(
      shown.enrolments.map((e: { course: string; status: string }) => `${e.course} ${e.status}`),
    ).toEqual(['short active', 'follow-up left'])
  })

  it('warns about readers enrolled in a course whose folder is gone', async () => {
    await readers()
    await h.db.query(`update enrolments set course = 'renamed' where status = 'pending'`)
    const result = await runCourseOn(h, ['courses'])
    expect(result.code).toBe(0)
    expect(result.err).toContain(
      'warning: readers are enrolled in "renamed", which is not a course in lessons/ any more',
    )
  })

  it('shows a funnel per course on the dashboard, and narrows it to one course', async () => {
    await h.close()
    h = await shortCourse({
      engine: 'pglite',
      fixture: 'lessons-two',
      start: '2027-01-04T10:00:00Z',
      env: { ADMIN_TOKEN: 'admin-token-0123456789abcdef' },
    })
    await readers()
    const auth = { authorization: 'Bearer admin-token-0123456789abcdef' }
    const all = await (await h.services.web.request('/admin', { headers: auth })).text()
    expect(all).toContain('<h2>Course funnels</h2>')
    expect(all).toContain('<h3>The short course</h3>')
    expect(all).toContain('<h3>The follow-up course</h3>')
    expect(all).toContain('<ol class="funnel" aria-label="The follow-up course: people reaching each step">')
    const one = await (await h.services.web.request('/admin?course=follow-up', { headers: auth })).text()
    expect(one).toContain('<option value="follow-up" selected>The follow-up course</option>')
    expect(one).not.toContain('<h3>The short course</h3>')
    const json = await (
      await h.services.web.request('/admin/stats.json?course=short', { headers: auth })
    ).json()
    expect(json.courses).toEqual([{ slug: SHORT, title: 'The short course' }])
    // A course that does not exist shows every course rather than nothing.
    const unknown = await (await h.services.web.request('/admin?course=nope', { headers: auth })).text()
    expect(unknown).toContain('<h3>The follow-up course</h3>')
  })
})
