import type { EmailRow, StatsReport } from './report'

/** The tables of the report, by the name used in `?table=` and `--csv`. */
export const STATS_TABLES = ['subscribers', 'daily', 'lessons', 'funnel', 'newsletters'] as const
export type StatsTableName = (typeof STATS_TABLES)[number]

export function isStatsTable(name: unknown): name is StatsTableName {
  return typeof name === 'string' && (STATS_TABLES as readonly string[]).includes(name)
}

/** One column: `key` names it in CSV files, `label` heads it on screen. */
export interface Column {
  key: string
  label: string
}

/** A table as every output shows it: the dashboard, the CLI and the CSV export. */
export interface StatsTable {
  title: string
  columns: Column[]
  rows: (string | number)[][]
}

/** Shown wherever open figures are: people read these numbers as "read by", which they are not. */
export const OPENS_CAVEAT =
  'Opens are unreliable: privacy proxies (Apple Mail Privacy Protection, Gmail) fetch images without anyone reading, and many people block images. Compare clicks instead.'

const EMAIL_COLUMNS: Column[] = [
  { key: 'sent', label: 'sent' },
  { key: 'delivered', label: 'delivered' },
  { key: 'opened_unreliable', label: 'opened*' },
  { key: 'clicked', label: 'clicked' },
  { key: 'bounced', label: 'bounced' },
  { key: 'complained', label: 'complained' },
  { key: 'unsubscribed_after', label: 'unsubscribed after' },
]

const emailCells = (row: EmailRow): number[] => [
  row.sent,
  row.delivered,
  row.opened,
  row.clicked,
  row.bounced,
  row.complained,
  row.unsubscribedAfter,
]

/** A share as a percentage with one decimal, e.g. `42.5%`. */
export function percent(share: number): string {
  return `${(Math.round(share * 1000) / 10).toFixed(1)}%`
}

/** Builds one table of the report. */
export function statsTable(report: StatsReport, name: StatsTableName): StatsTable {
  switch (name) {
    case 'subscribers':
      return {
        title: 'Subscribers by state',
        columns: [
          { key: 'state', label: 'state' },
          { key: 'people', label: 'people' },
        ],
        rows: report.subscribers.map((s) => [s.status, s.count]),
      }
    case 'daily':
      return {
        title: `Signups and confirmations per day (UTC, ${report.range.from} to ${report.range.to})`,
        columns: [
          { key: 'day', label: 'day' },
          { key: 'signups', label: 'signups' },
          { key: 'confirmations', label: 'confirmations' },
        ],
        rows: report.daily.map((d) => [d.day, d.signups, d.confirmations]),
      }
    case 'lessons':
      return {
        title: 'Lessons',
        columns: [
          { key: 'course', label: 'course' },
          { key: 'day', label: 'day' },
          { key: 'lesson', label: 'lesson' },
          { key: 'title', label: 'title' },
          ...EMAIL_COLUMNS,
        ],
        rows: report.lessons.map((l) => [
          l.course,
          l.day === null ? '' : l.day,
          l.item,
          l.title,
          ...emailCells(l),
        ]),
      }
    case 'funnel':
      return {
        title: 'Course funnels (how many people reach each step)',
        columns: [
          { key: 'course', label: 'course' },
          { key: 'step', label: 'step' },
          { key: 'people', label: 'people' },
          { key: 'share_of_signups', label: 'of signups' },
        ],
        rows: report.funnel.map((f) => [f.course, f.step, f.people, percent(f.share)]),
      }
    case 'newsletters':
      return {
        title: 'Newsletter issues',
        columns: [
          { key: 'date', label: 'date' },
          { key: 'issue', label: 'issue' },
          { key: 'title', label: 'title' },
          ...EMAIL_COLUMNS,
        ],
        rows: report.newsletters.map((n) => [n.date ?? '', n.item, n.title, ...emailCells(n)]),
      }
  }
}
