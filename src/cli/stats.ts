import { parseArgs } from 'node:util'
import { DEFAULT_DAYS, MAX_DAYS, readStats } from '../stats/report'
import { isStatsTable, OPENS_CAVEAT, STATS_TABLES, type StatsTableName, statsTable } from '../stats/tables'
import type { CliContext } from './context'
import { EXIT, pickCourse, UsageError, writeLine } from './io'
import { formatTable } from './table'

export const statsUsage = `course stats [--days N] [--course C] [--json | --csv TABLE]
                                   subscribers, signups per day, lessons and funnel (of one course, or each), newsletters
                                   (TABLE: ${STATS_TABLES.join(', ')})`

/** The text report shows the daily table for at most this many days (the JSON and CSV have them all). */
const TEXT_DAYS = 14

/**
 * `course stats`: the dashboard's figures as text tables, one table as CSV, or everything as JSON.
 * Command-line mistakes throw UsageError (reported with the usage by the CLI runner).
 */
export async function statsCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      csv: { type: 'string' },
      days: { type: 'string' },
      course: { type: 'string' },
    },
    strict: true,
  })
  const days = values.days === undefined ? DEFAULT_DAYS : Number(values.days)
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS)
    throw new UsageError(`--days: expected a whole number from 1 to ${MAX_DAYS}`)
  if (values.csv !== undefined && !isStatsTable(values.csv))
    throw new UsageError(`--csv: unknown table "${values.csv}"; choose one of ${STATS_TABLES.join(', ')}`)
  if (values.json && values.csv !== undefined) throw new UsageError('choose --json or --csv, not both')

  const runtime = await ctx.open({ logLevel: 'warn', sends: false })
  try {
    const now = runtime.services.webDeps.clock.now()
    const content = runtime.content.current
    const course = pickCourse(content.courses, values.course, { optional: true })
    const report = await readStats(runtime.database.db, content, now, { days, course })
    const out = ctx.io.out
    if (values.json) {
      writeLine(out, JSON.stringify(report, null, 2))
      return EXIT.ok
    }
    if (values.csv !== undefined) {
      const { tableToCsv } = await import('../stats/csv')
      out.write(tableToCsv(statsTable(report, values.csv as StatsTableName)))
      return EXIT.ok
    }
    for (const name of STATS_TABLES) {
      const table = statsTable(report, name)
      const rows = name === 'daily' ? table.rows.slice(-TEXT_DAYS) : table.rows
      writeLine(
        out,
        name === 'daily' ? `Signups and confirmations, last ${rows.length} days (UTC)` : table.title,
      )
      writeLine(
        out,
        rows.length === 0
          ? '(none yet)'
          : formatTable(
              table.columns.map((c) => c.label),
              rows,
            ),
      )
      writeLine(out)
    }
    writeLine(out, `* ${OPENS_CAVEAT}`)
    return EXIT.ok
  } finally {
    await runtime.close()
  }
}
