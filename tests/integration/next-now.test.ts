import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { contentDirs, lessonText } from '../helpers/content-fixtures'
import { runUntil, sentLessons } from '../helpers/course'
import { ENGINES } from '../helpers/db'
import { createHarness, FIXTURES, type Harness } from '../helpers/harness'
import type { OutboxMessage } from '../helpers/outbox'
import { postForm, subscribeAndConfirm } from '../helpers/web'

/** A self-paced course `c`: lessons on days 0, 3, 6 and 10. */
function selfPaced(front = 'pacing: self-paced\n') {
  const lesson = (day: number, title: string) =>
    lessonText({ title, subject: `${title} (subject)`, preview: `What ${title} covers.`, day })
  return contentDirs({
    'c/course.md': `---\ntitle: "At your pace"\ndescription: "A self-paced course."\n${front}---\n`,
    'c/00-one.md': lesson(0, 'One'),
    'c/01-two.md': lesson(3, 'Two'),
    'c/02-three.md': lesson(6, 'Three'),
    'c/03-four.md': lesson(10, 'Four'),
  })
}

describe.each(ENGINES)('"Send me the next lesson now" (%s)', (engine) => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })
  async function harness(front?: string) {
    h = await createHarness({
      engine,
      start: '2027-01-04T10:00:00Z',
      env: {
        LESSONS_DIR: selfPaced(front).lessonsDir,
        NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
      },
    })
    return h
  }
  const lessonMail = async (title: string) =>
    (await h.outbox()).filter((m) => m.subject === `${title} (subject)`)
  const nextLink = (m: OutboxMessage) => m.link('/next?')
  const local = (url: string) => url.replace(h.config.baseUrl, '')
  const press = (url: string) => postForm(h, '/courses/c/next', Object.fromEntries(new URL(url).searchParams))
  const waiting = async () =>
    (
      await h.db.query<{ item: string; due_at: Date }>(
        `select item, due_at from deliveries where kind = 'lesson' and status = 'queued' order by id`,
      )
    ).rows.map((r) => `${r.item} ${r.due_at.toISOString()}`)

  it('shows a page on GET and changes nothing; the POST sends the next lesson at once and moves the rest up', async () => {
    await harness()
    await subscribeAndConfirm(h, 'eager@example.org', { timezone: 'UTC' })
    const [one] = await lessonMail('One')
    const link = nextLink(one!)!
    expect(link).toMatch(/\/courses\/c\/next\?token=[^&]+&after=one$/)
    expect(one!.text).toContain('Send me the next lesson now')
    const before = await waiting()
    expect(before).toEqual(['two 2027-01-07T09:00:00.000Z'])

    h.clock.set('2027-01-05T15:00:00Z')
    const page = await h.services.web.request(local(link))
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<button type="submit">Send me the next lesson now</button>')
    expect(html).toContain('“Two”')
    expect(await waiting()).toEqual(before)

    const pressed = await press(link)
    expect(pressed.status).toBe(200)
    expect(await pressed.text()).toContain('“Two” is on its way')
    await h.services.sender.whenIdle()
    expect(await lessonMail('Two')).toHaveLength(1)
    // Day 3 is today now: day 6 is in three days, day 10 in seven, each at the send hour.
    await runUntil(h, '2027-01-20T00:00:00Z')
    expect((await sentLessons(h)).map((s) => `${s.item} ${s.local}`)).toEqual([
      'one 2027-01-04 10:00',
      'two 2027-01-05 15:00',
      'three 2027-01-08 09:00',
      'four 2027-01-12 09:00',
    ])
  })

  it('sends it once however often it is pressed, from one device or two at once', async () => {
    await harness()
    await subscribeAndConfirm(h, 'twice@example.org', { timezone: 'UTC' })
    const link = nextLink((await lessonMail('One'))[0]!)!
    h.clock.set('2027-01-05T08:00:00Z')
    const first = await press(link)
    expect(await first.text()).toContain('is on its way')
    const again = await press(link)
    expect(await again.text()).toMatch(/asked for already|sent already/)
    await h.services.sender.whenIdle()
    expect(await (await press(link)).text()).toContain('“Two” was sent already')
    expect(await lessonMail('Two')).toHaveLength(1)

    // Two devices press the link in lesson Two at the same moment: one lesson Three.
    const fromTwo = nextLink((await lessonMail('Two'))[0]!)!
    h.clock.set('2027-01-06T08:00:00Z')
    const both = await Promise.all([press(fromTwo), press(fromTwo)])
    expect(both.map((r) => r.status)).toEqual([200, 200])
    await h.services.sender.whenIdle()
    await h.tick()
    expect(await lessonMail('Three')).toHaveLength(1)
    const { rows } = await h.db.query<{ n: number }>(
      `select count(*)::int as n from deliveries where kind = 'lesson' and item = 'three'`,
    )
    expect(rows[0]!.n).toBe(1)
  })

  it('goes even when a lesson already went that day (the reader asked), and says the course is complete after the last', async () => {
    await harness()
    await subscribeAndConfirm(h, 'sameday@example.org', { timezone: 'UTC' })
    // Lesson One went at 10:00 today; asking for Two the same day sends it the same day.
    await press(nextLink((await lessonMail('One'))[0]!)!)
    await h.services.sender.whenIdle()
    await press(nextLink((await lessonMail('Two'))[0]!)!)
    await h.services.sender.whenIdle()
    await press(nextLink((await lessonMail('Three'))[0]!)!)
    await h.services.sender.whenIdle()
    expect((await sentLessons(h)).map((s) => `${s.item} ${s.local}`)).toEqual([
      'one 2027-01-04 10:00',
      'two 2027-01-04 10:00',
      'three 2027-01-04 10:00',
      'four 2027-01-04 10:00',
    ])
    const [four] = await lessonMail('Four')
    expect(nextLink(four!)).toBeUndefined()
    expect(four!.text).toContain('This was the last lesson: you have completed "At your pace".')
    // A link that names the last lesson (typed by hand) says the same, on GET and POST.
    const crafted = nextLink((await lessonMail('Three'))[0]!)!.replace('after=three', 'after=four')
    expect(await (await h.services.web.request(local(crafted))).text()).toContain('you have completed it')
    expect(await (await press(crafted)).text()).toContain('You have completed At your pace')
    const { rows } = await h.db.query<{ status: string }>('select status from enrolments')
    expect(rows).toEqual([{ status: 'completed' }])
  })

  it('refuses forged links, links of another course, and readers who left; evergreen courses offer no link', async () => {
    await harness()
    const { id } = await subscribeAndConfirm(h, 'guard@example.org', { timezone: 'UTC' })
    const link = nextLink((await lessonMail('One'))[0]!)!
    const fields = Object.fromEntries(new URL(link).searchParams)
    expect((await postForm(h, '/courses/c/next', { ...fields, token: `${fields.token}x` })).status).toBe(400)
    expect((await postForm(h, '/courses/other/next', fields)).status).toBe(400)
    expect((await h.services.web.request(local(link).replace('after=one', 'after=nope'))).status).toBe(400)
    await h.db.query(`update enrolments set status = 'left' where subscriber_id = $1`, [id])
    const left = await press(link)
    expect(left.status).toBe(400)
    expect(await left.text()).toContain('You are not receiving At your pace now')
    expect(await lessonMail('Two')).toHaveLength(0)
    await h.close()

    await harness('pacing: evergreen\n')
    await subscribeAndConfirm(h, 'plain@example.org', { timezone: 'UTC' })
    const [one] = await lessonMail('One')
    expect(nextLink(one!)).toBeUndefined()
    expect(one!.text).not.toContain('next lesson now')
  })

  it('is offered by an evergreen course with next_now: true', async () => {
    await harness('next_now: true\n')
    await subscribeAndConfirm(h, 'opt@example.org', { timezone: 'UTC' })
    expect(nextLink((await lessonMail('One'))[0]!)).toMatch(/after=one$/)
  })
})
