import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { neutralizeFormula, tableToCsv } from '../../src/stats/csv'
import type { Overview } from '../../src/stats/overview'
import { buildFunnel, type LessonRow, type StatsReport } from '../../src/stats/report'
import { isStatsTable, percent, STATS_TABLES, statsTable } from '../../src/stats/tables'
import { overviewBody } from '../../src/web/admin/dashboard'

const lesson = (item: string, day: number | null, sent: number, title = item): LessonRow => ({
  course: 'c',
  item,
  title,
  day,
  sent,
  delivered: sent,
  opened: 0,
  clicked: 0,
  bounced: 0,
  complained: 0,
  unsubscribedAfter: 0,
})

const report: StatsReport = {
  generatedAt: '2027-01-04T08:00:00.000Z',
  range: { from: '2027-01-03', to: '2027-01-04', days: 2 },
  subscribers: [
    { status: 'pending', count: 1 },
    { status: 'confirmed', count: 3 },
    { status: 'unsubscribed', count: 0 },
    { status: 'bounced', count: 0 },
    { status: 'complained', count: 0 },
  ],
  daily: [
    { day: '2027-01-03', signups: 3, confirmations: 2 },
    { day: '2027-01-04', signups: 1, confirmations: 1 },
  ],
  courses: [
    { slug: 'c', title: 'The first course' },
    { slug: 'd', title: 'The second course' },
  ],
  lessons: [
    lesson('welcome', 0, 3, 'Welcome, "friend", to the course'),
    lesson('=cmd()', 2, 1, '=HYPERLINK("x")'),
  ],
  funnel: [
    ...buildFunnel('c', { enrolled: 4, started: 3, completed: 0 }, [
      lesson('welcome', 0, 3, 'Welcome, "friend", to the course'),
    ]),
    ...buildFunnel('d', { enrolled: 2, started: 1, completed: 1 }, []),
  ],
  newsletters: [],
}

describe('buildFunnel', () => {
  it('runs from signups through confirmation and each lesson to completion, as shares of the signups', () => {
    const funnel = buildFunnel('c', { enrolled: 8, started: 6, completed: 1 }, [
      lesson('welcome', 0, 6, 'Welcome'),
      lesson('next', 2, 3, 'Next'),
      lesson('removed', null, 2),
    ])
    expect(funnel).toEqual([
      { course: 'c', step: 'Signed up', people: 8, share: 1 },
      { course: 'c', step: 'Confirmed and started', people: 6, share: 0.75 },
      { course: 'c', step: 'Day 0: Welcome', people: 6, share: 0.75 },
      { course: 'c', step: 'Day 2: Next', people: 3, share: 0.375 },
      { course: 'c', step: 'Completed the course', people: 1, share: 0.125 },
    ])
  })

  it('gives shares of zero, not NaN, when nobody signed up', () => {
    expect(buildFunnel('c', { enrolled: 0, started: 0, completed: 0 }, []).map((s) => s.share)).toEqual([
      0, 0, 0,
    ])
  })
})

describe('statsTable and CSV', () => {
  it('knows its table names', () => {
    expect(STATS_TABLES.every(isStatsTable)).toBe(true)
    expect(isStatsTable('people')).toBe(false)
    expect(isStatsTable(undefined)).toBe(false)
  })

  it('writes RFC 4180 CSV with column keys as the header and quotes where needed', () => {
    const csv = tableToCsv(statsTable(report, 'lessons'))
    expect(csv.split('\r\n')[0]).toBe(
      'course,day,lesson,title,sent,delivered,opened_unreliable,clicked,bounced,complained,unsubscribed_after',
    )
    const rows = parse(csv, { columns: true }) as Record<string, string>[]
    expect(rows[0]).toMatchObject({
      course: 'c',
      day: '0',
      lesson: 'welcome',
      title: 'Welcome, "friend", to the course',
      sent: '3',
    })
  })

  it('neutralises cells a spreadsheet would run as formulas', () => {
    const rows = parse(tableToCsv(statsTable(report, 'lessons')), { columns: true }) as Record<
      string,
      string
    >[]
    expect(rows[1]).toMatchObject({ lesson: "'=cmd()", title: `'=HYPERLINK("x")` })
    for (const risky of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])
      expect(neutralizeFormula(risky)[0]).toBe("'")
    expect(neutralizeFormula('welcome')).toBe('welcome')
  })

  it('formats shares as percentages with one decimal', () => {
    expect(percent(1)).toBe('100.0%')
    expect(percent(2 / 3)).toBe('66.7%')
    expect(percent(0)).toBe('0.0%')
  })
})

describe('overviewBody', () => {
  const overview: Overview = {
    generatedAt: '2027-01-04T08:00:00.000Z',
    readers: report.subscribers,
    thisWeek: { signups: 4, confirmations: 3 },
    lastWeek: { signups: 2, confirmations: 3 },
    sentToday: 5,
    sentTodayByKind: { lesson: 4, confirmation: 1 },
    recent: { days: 30, sent: 1000, bounced: 10, complained: 4, bounceRate: 0.01, complaintRate: 0.004 },
  }
  const page = overviewBody(overview, report, report.courses).toString()

  it('offers the tables under its pictures as CSV and labels opens as unreliable', () => {
    for (const name of ['subscribers', 'daily', 'funnel'])
      expect(page).toContain(`href="/admin/stats.csv?table=${name}&amp;days=2"`)
    expect(page).toContain('Opens are unreliable')
    expect(page).toContain('<details class="figures-table">')
  })

  it('escapes content text', () => {
    expect(page).toContain('Day 0: Welcome, &quot;friend&quot;, to the course')
    expect(page).not.toContain('"friend"')
  })

  it('puts the headline numbers first: this week against last, sent today, the complaint line', () => {
    expect(page.indexOf('Signups, last 7 days')).toBeLessThan(page.indexOf('<svg'))
    expect(page).toContain('4<small>last week 2 (+100 %)</small>')
    expect(page).toContain('3<small>last week 3 (same)</small>')
    expect(page).toContain('5<small>lesson 4, confirmation 1</small>')
    expect(page).toContain('Over the 0.3 % limit')
  })

  it('shows the daily chart, the complaint chart, one funnel per course, and a course picker', () => {
    expect(page.match(/<svg [^>]*role="img"/g)).toHaveLength(2)
    expect(page.match(/<ol class="funnel"/g)).toHaveLength(2)
    expect(page).toContain('<h3>The first course</h3>')
    expect(page).toContain('<h3>The second course</h3>')
    expect(page).toContain('<option value="d">The second course</option>')
  })
})
