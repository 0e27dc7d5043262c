import { describe, expect, it } from 'vitest'
import {
  type CourseProgress,
  lessonDueAt,
  planNextLesson,
  planRemaining,
  planTimeline,
} from '../../src/course/plan'
import { localDate, localHourInstant, nextAllowedDate } from '../../src/lib/local-time'

const lessons = [
  { slug: 'welcome', day: 0 },
  { slug: 'second', day: 2 },
  { slug: 'third', day: 4 },
  { slug: 'fourth', day: 7 },
]
const everyDay = { sendHour: 9, sendDays: [1, 2, 3, 4, 5, 6, 7] }
const iso = (d: Date) => d.toISOString()

describe('lesson timing', () => {
  it('sends day 0 at confirmation and each later lesson at 09:00 local on its day', () => {
    const plan = planTimeline(lessons, 'Asia/Tokyo', new Date('2027-01-04T14:30:00Z'), everyDay) // 23:30 in Tokyo
    expect(plan.map((p) => [p.slug, iso(p.dueAt), p.localDate])).toEqual([
      ['welcome', '2027-01-04T14:30:00.000Z', '2027-01-04'],
      ['second', '2027-01-06T00:00:00.000Z', '2027-01-06'],
      ['third', '2027-01-08T00:00:00.000Z', '2027-01-08'],
      ['fourth', '2027-01-11T00:00:00.000Z', '2027-01-11'],
    ])
  })

  it('counts days in the reader’s own time zone, not the server’s', () => {
    const at = new Date('2027-01-04T05:00:00Z') // 4 Jan in London, still 3 Jan in Los Angeles
    expect(iso(planTimeline(lessons, 'Europe/London', at, everyDay)[1]!.dueAt)).toBe(
      '2027-01-06T09:00:00.000Z',
    )
    expect(iso(planTimeline(lessons, 'America/Los_Angeles', at, everyDay)[1]!.dueAt)).toBe(
      '2027-01-05T17:00:00.000Z',
    )
  })

  it('sends once at the right instant across daylight-saving changes', () => {
    // 09:00 stays 09:00 local on both sides of the change in New York (14 March 2027).
    expect(iso(localHourInstant('2027-03-13', 9, 'America/New_York'))).toBe('2027-03-13T14:00:00.000Z')
    expect(iso(localHourInstant('2027-03-15', 9, 'America/New_York'))).toBe('2027-03-15T13:00:00.000Z')
    // An hour that does not exist (02:00 on 14 March) becomes the first instant after the gap.
    expect(iso(localHourInstant('2027-03-14', 2, 'America/New_York'))).toBe('2027-03-14T07:00:00.000Z')
    // An hour that happens twice (01:00 on 7 November) is its first occurrence, once.
    expect(iso(localHourInstant('2027-11-07', 1, 'America/New_York'))).toBe('2027-11-07T05:00:00.000Z')
    expect(iso(localHourInstant('2027-10-31', 2, 'Europe/Berlin'))).toBe('2027-10-31T00:00:00.000Z')
    // Half-hour transitions (Lord Howe Island): 02:00 on 3 October 2027 does not exist.
    expect(iso(localHourInstant('2027-10-03', 2, 'Australia/Lord_Howe'))).toBe('2027-10-02T15:30:00.000Z')
  })

  it('moves a lesson that falls on a skipped weekday to the next allowed day, keeping one a day', () => {
    const weekdays = { sendHour: 9, sendDays: [1, 2, 3, 4, 5] }
    expect(nextAllowedDate('2027-01-09', weekdays.sendDays)).toBe('2027-01-11') // Saturday → Monday
    const plan = planTimeline(
      [
        { slug: 'a', day: 0 },
        { slug: 'b', day: 5 }, // Saturday 9 Jan → Monday 11 Jan
        { slug: 'c', day: 7 }, // Monday 11 Jan, taken → Tuesday 12 Jan
      ],
      'UTC',
      new Date('2027-01-04T10:00:00Z'),
      weekdays,
    )
    expect(plan.map((p) => p.localDate)).toEqual(['2027-01-04', '2027-01-11', '2027-01-12'])
  })

  it('catches up a backlog one lesson a day, never two on the same local day', () => {
    const behind: CourseProgress = {
      timezone: 'Europe/Paris',
      anchorDate: '2027-01-01',
      lastDay: 0,
      lastSentOn: '2027-01-01',
    }
    const now = new Date('2027-01-20T12:00:00Z')
    const rest = planRemaining(behind, lessons, everyDay, now)
    expect(rest.map((p) => p.localDate)).toEqual(['2027-01-20', '2027-01-21', '2027-01-22'])
    expect(iso(rest[1]!.dueAt)).toBe('2027-01-21T08:00:00.000Z')
  })

  it('never plans the next lesson on the local day the last one went out', () => {
    const progress: CourseProgress = {
      timezone: 'UTC',
      anchorDate: '2027-01-04',
      lastDay: 0,
      lastSentOn: '2027-01-06',
    }
    expect(
      localDate(
        lessonDueAt(progress, { slug: 'second', day: 2 }, everyDay, new Date('2027-01-06T20:00:00Z')),
        'UTC',
      ),
    ).toBe('2027-01-07')
  })

  it('keeps the spacing of the remaining lessons after a pause (the anchor moves by the days away)', () => {
    const paused: CourseProgress = {
      timezone: 'UTC',
      anchorDate: '2027-01-14',
      lastDay: 2,
      lastSentOn: '2027-01-06',
    } // anchor moved 10 days
    const rest = planRemaining(paused, lessons, everyDay, new Date('2027-01-15T08:00:00Z'))
    expect(rest.map((p) => [p.slug, p.localDate])).toEqual([
      ['third', '2027-01-18'],
      ['fourth', '2027-01-21'],
    ])
  })

  it('falls back to UTC for an unknown zone', () => {
    expect(
      iso(planTimeline(lessons, 'Not/AZone', new Date('2027-01-04T10:00:00Z'), everyDay)[1]!.dueAt),
    ).toBe('2027-01-06T09:00:00.000Z')
  })
})

describe('the next-lesson planner (planNextLesson): the one every caller uses', () => {
  const at = (iso: string) => new Date(iso)
  const start: CourseProgress = {
    timezone: 'Europe/Paris',
    anchorDate: '2027-01-04',
    lastDay: null,
    lastSentOn: null,
  }

  it('plans day 0 for now, then each lesson after the last one handled at 09:00 local on its day', () => {
    const now = at('2027-01-04T15:00:00Z')
    expect(planNextLesson(start, lessons, everyDay, now)).toEqual({ lesson: lessons[0], dueAt: now })
    const afterWelcome = { ...start, lastDay: 0, lastSentOn: '2027-01-04' }
    expect(planNextLesson(afterWelcome, lessons, everyDay, now)).toEqual({
      lesson: lessons[1],
      dueAt: at('2027-01-06T08:00:00Z'), // 09:00 in Paris
    })
  })

  it('plans nothing once the course has no lesson after the last one', () => {
    const done = { ...start, lastDay: 7, lastSentOn: '2027-01-11' }
    expect(planNextLesson(done, lessons, everyDay, at('2027-01-12T00:00:00Z'))).toBeNull()
  })

  it('skips lessons already past, and plans a lesson added after the last handled one by the current content', () => {
    const afterSecond = { ...start, lastDay: 2, lastSentOn: '2027-01-06' }
    const withAdded = [...lessons.slice(0, 2), { slug: 'added', day: 3 }, ...lessons.slice(2)]
    expect(planNextLesson(afterSecond, withAdded, everyDay, at('2027-01-06T10:00:00Z'))?.lesson.slug).toBe(
      'added',
    )
  })

  it('never plans two lessons on one local day: a late one catches up a day after the last sent', () => {
    const behind = { ...start, lastDay: 2, lastSentOn: '2027-01-20' } // downtime: lesson 3 was due on the 8th
    expect(planNextLesson(behind, lessons, everyDay, at('2027-01-20T10:00:00Z'))).toEqual({
      lesson: lessons[2],
      dueAt: at('2027-01-21T08:00:00Z'),
    })
  })
})
