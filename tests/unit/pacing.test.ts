import { describe, expect, it } from 'vitest'
import { offersNextNow, type Pacing } from '../../src/content/types'
import { dayZero, planTimeline, signupsClosed } from '../../src/course/plan'

/** Lessons on days 0, 2, 4 and 7. */
const lessons = [
  { slug: 'welcome', day: 0 },
  { slug: 'second', day: 2 },
  { slug: 'third', day: 4 },
  { slug: 'fourth', day: 7 },
]
const everyDay = { sendHour: 9, sendDays: [1, 2, 3, 4, 5, 6, 7] }
const weekdays = { sendHour: 9, sendDays: [1, 2, 3, 4, 5] }
const cohort = (extra: Partial<Pacing> = {}): Pacing => ({
  mode: 'cohort',
  starts: '2027-03-08',
  nextNow: false,
  ...extra,
})
/** Each planned lesson as "slug local-date local-time" in the zone. */
const local = (plan: ReturnType<typeof planTimeline>, zone: string) =>
  plan.map(
    (p) =>
      `${p.slug} ${new Intl.DateTimeFormat('sv-SE', { timeZone: zone, dateStyle: 'short', timeStyle: 'short' }).format(p.dueAt)}`,
  )

describe('pacing: evergreen and self-paced', () => {
  it('counts days from the reader’s own start, day 0 at once (self-paced the same, with the next lesson on offer)', () => {
    const at = new Date('2027-03-01T15:20:00Z')
    for (const mode of ['evergreen', 'self-paced'] as const)
      expect(
        local(planTimeline(lessons, 'Europe/Paris', at, everyDay, { mode, nextNow: false }), 'Europe/Paris'),
      ).toEqual([
        'welcome 2027-03-01 16:20',
        'second 2027-03-03 09:00',
        'third 2027-03-05 09:00',
        'fourth 2027-03-08 09:00',
      ])
    expect(offersNextNow({ mode: 'self-paced', nextNow: false })).toBe(true)
    expect(offersNextNow({ mode: 'evergreen', nextNow: true })).toBe(true)
    expect(offersNextNow({ mode: 'evergreen', nextNow: false })).toBe(false)
  })
})

describe('pacing: cohort', () => {
  it('gives everyone who joins before the start day 0 on the start date at the local send hour, then the group’s days', () => {
    for (const zone of ['Asia/Tokyo', 'America/Los_Angeles']) {
      const plan = planTimeline(lessons, zone, new Date('2027-02-20T12:00:00Z'), everyDay, cohort())
      expect(local(plan, zone)).toEqual([
        'welcome 2027-03-08 09:00',
        'second 2027-03-10 09:00',
        'third 2027-03-12 09:00',
        'fourth 2027-03-15 09:00',
      ])
    }
  })

  it('gives a late joiner day 0 at once, then one lesson a day until they are on the group’s schedule', () => {
    // Joined on day 5 of the group (13 March): day 0 now, then days 2, 4 and 7 one a day.
    const plan = planTimeline(lessons, 'Europe/London', new Date('2027-03-13T18:00:00Z'), everyDay, cohort())
    expect(local(plan, 'Europe/London')).toEqual([
      'welcome 2027-03-13 18:00',
      'second 2027-03-14 09:00',
      'third 2027-03-15 09:00',
      'fourth 2027-03-16 09:00', // its date (the 15th) had the third: the day after
    ])
  })

  it('keeps the catching up to allowed weekdays (SEND_DAYS)', () => {
    // Joined on Friday 12 March: day 0 now; the backlog on Monday and Tuesday; day 7 (Monday 15th) moves too.
    const plan = planTimeline(lessons, 'UTC', new Date('2027-03-12T10:00:00Z'), weekdays, cohort())
    expect(local(plan, 'UTC')).toEqual([
      'welcome 2027-03-12 10:00',
      'second 2027-03-15 09:00',
      'third 2027-03-16 09:00',
      'fourth 2027-03-17 09:00',
    ])
  })

  it('sends at the local send hour across a daylight-saving change in the group’s weeks', () => {
    // New York moves to summer time on 14 March 2027: 09:00 is 14:00 UTC before, 13:00 UTC after.
    const plan = planTimeline(
      lessons,
      'America/New_York',
      new Date('2027-03-01T12:00:00Z'),
      everyDay,
      cohort(),
    )
    expect(plan.map((p) => p.dueAt.toISOString())).toEqual([
      '2027-03-08T14:00:00.000Z',
      '2027-03-10T14:00:00.000Z',
      '2027-03-12T14:00:00.000Z',
      '2027-03-15T13:00:00.000Z',
    ])
  })

  it('puts signups after the closing date in the next group, or nowhere when none is set', () => {
    const open = cohort({ closes: '2027-03-10', nextStarts: '2027-05-03' })
    expect(dayZero(open, '2027-03-10', '2027-03-10')).toBe('2027-03-08')
    expect(dayZero(open, '2027-03-11', '2027-03-11')).toBe('2027-05-03')
    // Signed up in time, confirmed late: still the first group.
    expect(dayZero(open, '2027-03-09', '2027-03-20')).toBe('2027-03-08')
    const late = planTimeline(lessons, 'UTC', new Date('2027-03-20T08:00:00Z'), everyDay, open)
    expect(local(late, 'UTC')[0]).toBe('welcome 2027-05-03 09:00')
    const closed = cohort({ closes: '2027-03-10' })
    expect(signupsClosed(closed, '2027-03-10')).toBe(false)
    expect(signupsClosed(closed, '2027-03-11')).toBe(true)
    expect(signupsClosed(open, '2027-03-11')).toBe(false)
    expect(planTimeline(lessons, 'UTC', new Date('2027-03-20T08:00:00Z'), everyDay, closed)).toEqual([])
  })
})
