import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCourseOn } from '../helpers/cli'
import { contentDirs, lessonText } from '../helpers/content-fixtures'
import { runUntil, sentLessons } from '../helpers/course'
import { ENGINES } from '../helpers/db'
import { createHarness, FIXTURES, type Harness } from '../helpers/harness'
import { postForm, postJson, subscribeAndConfirm } from '../helpers/web'

/** A course folder `c` with lessons on days 0, 2, 4 and 7 and this course.md front matter. */
function course(front: string) {
  const lesson = (day: number, title: string) =>
    lessonText({ title, subject: `${title} (subject)`, preview: `What ${title} covers.`, day })
  return contentDirs({
    'c/course.md': `---\ntitle: "Paced course"\ndescription: "A course for the pacing tests."\n${front}---\n`,
    'c/00-welcome.md': lesson(0, 'Welcome'),
    'c/01-second.md': lesson(2, 'Second'),
    'c/02-third.md': lesson(4, 'Third'),
    'c/03-fourth.md': lesson(7, 'Fourth'),
  })
}

describe.each(ENGINES)('pacing (%s)', (engine) => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })
  async function harness(front: string, start: string) {
    const { lessonsDir } = course(front)
    h = await createHarness({
      engine,
      start,
      env: { LESSONS_DIR: lessonsDir, NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short') },
    })
    return h
  }
  const lines = async () => (await sentLessons(h)).map((s) => `${s.email} ${s.item} ${s.local}`)

  it('cohort: early joiners start together on the date, a late joiner catches up one a day, later signups join the next group', async () => {
    await harness(
      'pacing: cohort\nstarts: "2027-01-11"\ncloses: "2027-01-13"\nnext_starts: "2027-02-01"\n',
      '2027-01-04T10:00:00Z',
    )
    const page = await (await h.services.web.request('/')).text()
    expect(page).toContain('The group starts on 11 January 2027')
    await subscribeAndConfirm(h, 'early@example.org', { timezone: 'Europe/Paris' })
    // Nothing before the group's date, not even day 0.
    await runUntil(h, '2027-01-10T23:00:00Z')
    expect(await lines()).toEqual([])
    await runUntil(h, '2027-01-13T12:00:00Z')
    await subscribeAndConfirm(h, 'late@example.org', { timezone: 'UTC' })
    await runUntil(h, '2027-01-14T12:00:00Z')
    expect(await (await h.services.web.request('/')).text()).toContain(
      'Signups for the current group closed on 13 January 2027. The next group starts on 1 February 2027',
    )
    await subscribeAndConfirm(h, 'next@example.org', { timezone: 'UTC' })
    await runUntil(h, '2027-02-10T00:00:00Z')
    const sent = await lines()
    expect(sent.filter((l) => l.startsWith('early@'))).toEqual([
      'early@example.org welcome 2027-01-11 09:00',
      'early@example.org second 2027-01-13 09:00',
      'early@example.org third 2027-01-15 09:00',
      'early@example.org fourth 2027-01-18 09:00',
    ])
    expect(sent.filter((l) => l.startsWith('late@'))).toEqual([
      'late@example.org welcome 2027-01-13 12:00',
      'late@example.org second 2027-01-14 09:00',
      'late@example.org third 2027-01-15 09:00',
      'late@example.org fourth 2027-01-18 09:00',
    ])
    expect(sent.filter((l) => l.startsWith('next@'))).toEqual([
      'next@example.org welcome 2027-02-01 09:00',
      'next@example.org second 2027-02-03 09:00',
      'next@example.org third 2027-02-05 09:00',
      'next@example.org fourth 2027-02-08 09:00',
    ])
  })

  it('cohort: after the closing date with no next group, the page has no form and a signup is refused', async () => {
    await harness('pacing: cohort\nstarts: "2027-01-11"\ncloses: "2027-01-12"\n', '2027-01-20T10:00:00Z')
    const page = await (await h.services.web.request('/')).text()
    expect(page).toContain('Signups for this course closed on 12 January 2027.')
    expect(page).not.toContain('<form method="post" action="/subscribe"')
    const refused = await postForm(h, '/subscribe', { email: 'toolate@example.org' })
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('Signups for this course closed on 12 January 2027.')
    const api = await postJson(h, '/subscribe', { email: 'toolate@example.org' })
    expect(api.status).toBe(400)
    expect(await api.json()).toEqual({
      ok: false,
      errors: { course: 'Signups for this course closed on 2027-01-12.' },
    })
    const { rows } = await h.db.query('select 1 from subscribers')
    expect(rows).toEqual([])
  })

  it('cohort: a paused reader who resumes keeps the group’s dates and catches up', async () => {
    await harness('pacing: cohort\nstarts: "2027-01-04"\n', '2027-01-04T08:00:00Z')
    const { id } = await subscribeAndConfirm(h, 'pauser@example.org', { timezone: 'UTC' })
    await runUntil(h, '2027-01-05T12:00:00Z')
    const prefs = (await h.outbox()).find((m) => m.link('/preferences'))!.link('/preferences')!
    const token = new URL(prefs).searchParams.get('token')!
    await postForm(h, '/preferences', { token, action: 'course:pause:c' })
    await runUntil(h, '2027-01-09T12:00:00Z')
    await postForm(h, '/preferences', { token, action: 'course:resume:c' })
    await h.services.sender.whenIdle()
    await runUntil(h, '2027-01-20T00:00:00Z')
    expect((await lines()).map((l) => l.split(' ').slice(1).join(' '))).toEqual([
      'welcome 2027-01-04 08:00',
      'second 2027-01-09 12:00', // its date (the 6th) passed while paused: at once on resuming
      'third 2027-01-10 09:00', // then one a day until back on the group's dates
      'fourth 2027-01-11 09:00', // the group's day 7
    ])
    expect(id).toBeGreaterThan(0)
  })

  it('simulate shows each mode’s timeline', async () => {
    await harness('pacing: cohort\nstarts: "2027-01-11"\ncloses: "2027-01-13"\n', '2027-01-04T10:00:00Z')
    const early = await runCourseOn(h, [
      'simulate',
      '--timezone',
      'UTC',
      '--confirmed-at',
      '2027-01-05T10:00:00Z',
    ])
    expect(early.out).toContain(
      'cohort: day 0 is 2027-01-11 for everyone, signups close 2027-01-13; late joiners catch up one lesson a day',
    )
    expect(early.out).toMatch(/0\s+welcome\s+Mon 2027-01-11 09:00/)
    const late = await runCourseOn(h, [
      'simulate',
      '--timezone',
      'UTC',
      '--confirmed-at',
      '2027-01-13T10:00:00Z',
    ])
    expect(late.out).toMatch(/2\s+second\s+Thu 2027-01-14 09:00/)
    const closed = await runCourseOn(h, [
      'simulate',
      '--timezone',
      'UTC',
      '--confirmed-at',
      '2027-01-20T10:00:00Z',
    ])
    expect(closed.out).toContain('signups closed on 2027-01-13, and no next group is set')
  })
})
