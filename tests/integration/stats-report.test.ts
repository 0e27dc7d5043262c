import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CliContext } from '../../src/cli/context'
import { UsageError } from '../../src/cli/io'
import { statsCommand } from '../../src/cli/stats'
import type { Queryable } from '../../src/db/db'
import { silentLogger } from '../../src/lib/logger'
import { openContent, type Runtime } from '../../src/runtime'
import { readStats } from '../../src/stats/report'
import { captureIo } from '../helpers/cli'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'

const NOW = '2027-01-10T12:00:00Z'
const COURSE = 'avoiding-smp-regrets'
/** The second course of the real content: nobody in the seed signed up for it. */
const OTHER_COURSE = 'unhappy-with-your-smp'

interface Seed {
  email: string
  status: string
  created: string
  confirmed?: string
  completed?: string
  leftAfter?: string
}

/** Who, and what happened to which of their emails: `signals` are the delivery's timestamp columns. */
async function seed(q: Queryable, lessons: string[], issue: string) {
  const people: Seed[] = [
    {
      email: 'a@example.org',
      status: 'confirmed',
      created: '2027-01-04T10:00Z',
      confirmed: '2027-01-04T10:05Z',
    },
    {
      email: 'b@example.org',
      status: 'unsubscribed',
      created: '2027-01-04T11:00Z',
      confirmed: '2027-01-05T09:00Z',
      leftAfter: `lesson:${COURSE}/${lessons[0]}`,
    },
    {
      email: 'c@example.org',
      status: 'bounced',
      created: '2027-01-06T12:00Z',
      confirmed: '2027-01-06T12:30Z',
    },
    { email: 'd@example.org', status: 'pending', created: '2027-01-06T13:00Z' },
    {
      email: 'e@example.org',
      status: 'confirmed',
      created: '2026-12-01T08:00Z',
      confirmed: '2026-12-01T08:10Z',
      completed: '2026-12-20T09:00Z',
      leftAfter: `newsletter:${issue}`,
    },
    // Late on the last day, UTC: still counted on that day.
    { email: 'f@example.org', status: 'pending', created: '2027-01-10T23:30Z' },
  ]
  const ids: Record<string, number> = {}
  for (const p of people) {
    const { rows } = await q.query<{ id: number }>(
      `insert into subscribers (email, email_key, status, created_at, updated_at, confirmed_at, unsubscribed_after)
       values ($1, $1, $2, $3, $3, $4, $5) returning id`,
      [p.email, p.status, p.created, p.confirmed ?? null, p.leftAfter ?? null],
    )
    ids[p.email[0]!] = rows[0]!.id
    // Everyone signed up for the course; those who confirmed started it on that day.
    await q.query(
      `insert into enrolments (subscriber_id, course, status, anchor_date, completed_at, created_at)
       values ($1, $2, $3, $4::timestamptz::date, $5, $6)`,
      [
        rows[0]!.id,
        COURSE,
        p.completed ? 'completed' : p.confirmed ? 'active' : 'pending',
        p.confirmed ?? null,
        p.completed ?? null,
        p.created,
      ],
    )
  }
  const at = '2027-01-07T09:00Z'
  const deliveries: [string, 'lesson' | 'newsletter', string, string[]][] = [
    ['a', 'lesson', lessons[0]!, ['sent_at', 'delivered_at', 'opened_at', 'clicked_at']],
    ['b', 'lesson', lessons[0]!, ['sent_at', 'delivered_at', 'opened_at']],
    ['c', 'lesson', lessons[0]!, ['sent_at', 'bounced_at']],
    ['e', 'lesson', lessons[0]!, ['sent_at', 'delivered_at', 'complained_at']],
    ['a', 'lesson', lessons[1]!, ['sent_at', 'delivered_at']],
    ['e', 'lesson', lessons[1]!, ['sent_at', 'delivered_at', 'opened_at']],
    ['a', 'lesson', lessons[2]!, []], // queued: not sent yet
    ['a', 'lesson', 'retired-lesson', ['sent_at']], // removed from the course after it went out
    ['a', 'newsletter', issue, ['sent_at', 'delivered_at', 'opened_at']],
    ['e', 'newsletter', issue, ['sent_at', 'delivered_at', 'clicked_at']],
  ]
  for (const [who, kind, item, signals] of deliveries) {
    const has = (column: string) => (signals.includes(column) ? at : null)
    await q.query(
      `insert into deliveries (subscriber_id, kind, course, item, status, due_at, sent_at, delivered_at, opened_at,
         clicked_at, bounced_at, complained_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        ids[who],
        kind,
        kind === 'lesson' ? COURSE : null,
        item,
        has('sent_at') ? 'sent' : 'queued',
        at,
        has('sent_at'),
        has('delivered_at'),
        has('opened_at'),
        has('clicked_at'),
        has('bounced_at'),
        has('complained_at'),
      ],
    )
  }
}

describe.each(ENGINES)('course statistics (%s)', (engine) => {
  let h: Harness
  let lessons: { slug: string; title: string; day: number }[]
  let otherLessons: { slug: string; title: string; day: number }[]
  let issue: { slug: string; title: string; date: string }

  beforeEach(async () => {
    h = await createHarness({ engine, start: NOW })
    const content = h.services.webDeps.content()
    const lessonsOf = (course: string) =>
      content.courses
        .find((c) => c.slug === course)!
        .lessons.map(({ slug, title, day }) => ({ slug, title, day }))
    lessons = lessonsOf(COURSE)
    otherLessons = lessonsOf(OTHER_COURSE)
    issue = content.newsletters[0]!
    await seed(
      h.db,
      lessons.map((l) => l.slug),
      issue.slug,
    )
  })
  afterEach(async () => {
    await h.close()
  })

  const zero = {
    sent: 0,
    delivered: 0,
    opened: 0,
    clicked: 0,
    bounced: 0,
    complained: 0,
    unsubscribedAfter: 0,
  }

  it('counts subscribers, days, lessons, the funnel and newsletter issues', async () => {
    const report = await readStats(h.db, h.services.webDeps.content(), h.clock.now(), { days: 7 })
    expect(report.range).toEqual({ from: '2027-01-04', to: '2027-01-10', days: 7 })
    expect(report.subscribers).toEqual([
      { status: 'pending', count: 2 },
      { status: 'confirmed', count: 2 },
      { status: 'unsubscribed', count: 1 },
      { status: 'bounced', count: 1 },
      { status: 'complained', count: 0 },
    ])
    expect(report.daily).toEqual([
      { day: '2027-01-04', signups: 2, confirmations: 1 },
      { day: '2027-01-05', signups: 0, confirmations: 1 },
      { day: '2027-01-06', signups: 2, confirmations: 1 },
      { day: '2027-01-07', signups: 0, confirmations: 0 },
      { day: '2027-01-08', signups: 0, confirmations: 0 },
      { day: '2027-01-09', signups: 0, confirmations: 0 },
      { day: '2027-01-10', signups: 1, confirmations: 0 },
    ])
    const [first, second, third] = lessons
    // The real content holds two courses, listed in this order; all the seeded figures are for the first.
    expect(report.courses).toEqual([
      { slug: COURSE, title: 'Avoiding SMP regrets' },
      { slug: OTHER_COURSE, title: 'Unhappy with your SMP?' },
    ])
    const courseLessons = report.lessons.filter((l) => l.course === COURSE)
    expect(courseLessons[0]).toEqual({
      course: COURSE,
      item: first!.slug,
      title: first!.title,
      day: first!.day,
      ...{ sent: 4, delivered: 3, opened: 2, clicked: 1, bounced: 1, complained: 1, unsubscribedAfter: 1 },
    })
    expect(courseLessons[1]).toEqual({
      course: COURSE,
      item: second!.slug,
      title: second!.title,
      day: second!.day,
      ...zero,
      ...{ sent: 2, delivered: 2, opened: 1 },
    })
    expect(courseLessons[2]).toEqual({
      course: COURSE,
      item: third!.slug,
      title: third!.title,
      day: third!.day,
      ...zero,
    })
    expect(courseLessons).toHaveLength(lessons.length + 1)
    expect(courseLessons.at(-1)).toEqual({
      course: COURSE,
      item: 'retired-lesson',
      title: '(no longer in the content)',
      day: null,
      ...zero,
      sent: 1,
    })
    // Course by course: the other course's lessons follow, every figure zero.
    expect(report.lessons).toEqual([
      ...courseLessons,
      ...otherLessons.map((l) => ({
        course: OTHER_COURSE,
        item: l.slug,
        title: l.title,
        day: l.day,
        ...zero,
      })),
    ])
    const funnelOf = (course: string) =>
      report.funnel
        .filter((s) => s.course === course)
        .map((s) => [s.step, s.people, Math.round(s.share * 1000) / 1000])
    expect(funnelOf(COURSE)).toEqual([
      ['Signed up', 6, 1],
      ['Confirmed and started', 4, 0.667],
      [`Day ${first!.day}: ${first!.title}`, 4, 0.667],
      [`Day ${second!.day}: ${second!.title}`, 2, 0.333],
      ...lessons.slice(2).map((l) => [`Day ${l.day}: ${l.title}`, 0, 0]),
      ['Completed the course', 1, 0.167],
    ])
    expect(funnelOf(OTHER_COURSE)).toEqual([
      ['Signed up', 0, 0],
      ['Confirmed and started', 0, 0],
      ...otherLessons.map((l) => [`Day ${l.day}: ${l.title}`, 0, 0]),
      ['Completed the course', 0, 0],
    ])
    expect(report.funnel.map((s) => s.course)).toEqual([
      ...funnelOf(COURSE).map(() => COURSE),
      ...funnelOf(OTHER_COURSE).map(() => OTHER_COURSE),
    ])
    expect(report.newsletters).toEqual([
      {
        item: issue.slug,
        title: issue.title,
        date: issue.date,
        ...{ sent: 2, delivered: 2, opened: 1, clicked: 1, bounced: 0, complained: 0, unsubscribedAfter: 1 },
      },
    ])
  })

  it('shows an empty database as zeros, not gaps', async () => {
    await h.db.query('delete from subscribers')
    const report = await readStats(h.db, h.services.webDeps.content(), h.clock.now(), { days: 3 })
    expect(report.daily.map((d) => d.signups + d.confirmations)).toEqual([0, 0, 0])
    expect(report.lessons.every((l) => l.sent === 0)).toBe(true)
    expect(report.funnel.every((s) => s.share === 0)).toBe(true)
    expect(report.newsletters).toEqual([])
  })

  /** A CLI context whose runtime is the harness (no second database). */
  async function cli() {
    const capture = captureIo({}, h.dir)
    const content = await openContent(h.config, silentLogger)
    const runtime = {
      database: { db: h.db, description: 'test', close: async () => {} },
      content,
      services: h.services,
      close: async () => {},
    } satisfies Runtime
    const ctx: CliContext = {
      io: capture.io,
      config: () => h.config,
      logger: () => silentLogger,
      open: async () => runtime,
    }
    return { ctx, out: capture.out }
  }

  it('course stats prints the tables with the caveat about opens', async () => {
    const { ctx, out } = await cli()
    expect(await statsCommand([], ctx)).toBe(0)
    const text = out()
    for (const heading of ['Subscribers by state', 'Lessons', 'Course funnel', 'Newsletter issues'])
      expect(text).toContain(heading)
    expect(text).toMatch(/Signups and confirmations, last 14 days/)
    expect(text).toMatch(/Completed the course\s+1\s+16\.7%/)
    expect(text).toContain('Opens are unreliable')
  })

  it('course stats --csv lessons writes that table as CSV', async () => {
    const { ctx, out } = await cli()
    expect(await statsCommand(['--csv', 'lessons'], ctx)).toBe(0)
    const lines = out().split('\r\n')
    expect(lines[0]).toBe(
      'course,day,lesson,title,sent,delivered,opened_unreliable,clicked,bounced,complained,unsubscribed_after',
    )
    const [first] = lessons
    expect(lines[1]).toBe(`${COURSE},${first!.day},${first!.slug},${csvCell(first!.title)},4,3,2,1,1,1,1`)
    expect(lines).toContain(`${COURSE},,retired-lesson,(no longer in the content),1,0,0,0,0,0,0`)
  })

  it('course stats --json writes the whole report', async () => {
    const { ctx, out } = await cli()
    expect(await statsCommand(['--json', '--days', '7'], ctx)).toBe(0)
    const report = JSON.parse(out())
    expect(report.range).toEqual({ from: '2027-01-04', to: '2027-01-10', days: 7 })
    expect(report.subscribers).toContainEqual({ status: 'pending', count: 2 })
  })

  it('course stats refuses unknown tables and bad options', async () => {
    const { ctx } = await cli()
    await expect(statsCommand(['--csv', 'people'], ctx)).rejects.toThrow(UsageError)
    await expect(statsCommand(['--days', '0'], ctx)).rejects.toThrow(/--days/)
    await expect(statsCommand(['--json', '--csv', 'daily'], ctx)).rejects.toThrow(UsageError)
    await expect(statsCommand(['--course', 'no-such-course'], ctx)).rejects.toThrow(
      /--course: no course "no-such-course" \(courses: avoiding-smp-regrets, unhappy-with-your-smp\)/,
    )
  })
})

/** How csv-stringify quotes a cell (titles may hold commas or quotes). */
function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}
