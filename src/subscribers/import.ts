import type { Readable } from 'node:stream'
import type { Courses } from '../course/lessons'
import type { Db } from '../db/db'
import { estimatedRows, refreshStatistics } from '../db/statistics'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'
import { readCsvRecords } from './import-csv'
import { checkHeader, checkRow, IMPORT_COLUMNS, type ImportRow, type RowProblem } from './import-rows'
import { type ChunkOutcome, type ChunkSettings, importChunk } from './import-store'

/** What an import needs (a subset of SubscriberDeps, so the services' object can be passed as is). */
export interface ImportDeps {
  db: Db
  clock: Clock
  logger: Logger
  courses: () => Courses
  courseSlugs: () => readonly string[]
}

export interface ImportOptions {
  /** The course new people are enrolled in; may be left out where the installation has one course. */
  course?: string
  /** Validate and report what would happen, write nothing. */
  dryRun?: boolean
  /** Queue a confirmation email for each new person without proof of consent. */
  sendConfirmations?: boolean
  /** Rows per transaction: big enough to be fast, small enough for short locks and flat memory. */
  chunkSize?: number
  /** Called for every bad row as soon as its chunk is done, in line order within the chunk. */
  onProblem?: (problem: RowProblem) => void
  onProgress?: (progress: { rows: number; bytesRead: number }) => void
}

/** The counts of an import (in a dry run: what it would do). */
export interface ImportReport extends Omit<ChunkOutcome, 'problems'> {
  dryRun: boolean
  /** Records after the header. */
  rows: number
  /** Rows reported as problems and left out. */
  skipped: number
  /** Where the file stopped being readable CSV, if it did (the rows before it were imported). */
  stoppedAt: RowProblem | null
}

/** A file that cannot be imported at all (nothing was changed), or the report. */
export type ImportResult = { ok: true; report: ImportReport } | { ok: false; message: string }

export const DEFAULT_CHUNK_SIZE = 500

/** The tables an import grows: new people, their enrolments, their first lessons or confirmations. */
const IMPORTED_TABLES = ['subscribers', 'enrolments', 'deliveries']

/**
 * Imports subscribers from a CSV stream (header `email,name,timezone,confirmed_at,consent_source`).
 * The file is read as a stream and written in chunks of `chunkSize` rows, one transaction each, so
 * memory stays flat at any size; only the set of addresses seen so far grows (to catch duplicates).
 * Bad rows are reported through `onProblem` and skipped; good rows are kept. A file that is empty or
 * lacks the header changes nothing and returns `{ ok: false }`.
 */
export async function importSubscribers(
  deps: ImportDeps,
  source: Readable,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const now = deps.clock.now()
  const slugs = deps.courseSlugs()
  const course = options.course ?? (slugs.length === 1 ? slugs[0] : undefined)
  if (!course || !slugs.includes(course))
    return {
      ok: false,
      message: `${options.course ? `there is no course "${options.course}"` : 'name the course new people join'} (with --course; courses: ${slugs.join(', ')})`,
    }
  const dryRun = options.dryRun ?? false
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
  const settings: ChunkSettings = {
    now,
    course,
    courses: deps.courses(),
    sendConfirmations: options.sendConfirmations ?? false,
    dryRun,
  }
  const records = readCsvRecords(source)
  const first = await records.next()
  if (first.done) {
    return {
      ok: false,
      message: `the file is empty: its first line must be the header ${IMPORT_COLUMNS.join(',')}`,
    }
  }
  if (first.value.kind === 'broken') {
    await records.return(undefined)
    return { ok: false, message: `line ${first.value.line}: ${first.value.message}` }
  }
  const header = checkHeader(first.value.fields)
  if (!header.ok) {
    await records.return(undefined)
    return { ok: false, message: header.message }
  }

  const report: ImportReport = {
    dryRun,
    rows: 0,
    createdConfirmed: 0,
    createdPending: 0,
    confirmationsQueued: 0,
    lessonsQueued: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    stoppedAt: null,
  }
  // Address key → first line it appeared on. The one thing that grows with the file (about 100 bytes
  // an address); everything else is bounded by the chunk size.
  const seen = new Map<string, number>()
  let chunk: ImportRow[] = []
  let problems: RowProblem[] = []
  // The tables' statistics are refreshed each time the import has doubled what they held (see
  // src/db/statistics.ts): eight times for 100,000 people into an empty list, never for a
  // few hundred into a large one.
  let analyzeAt = dryRun
    ? Number.POSITIVE_INFINITY
    : Math.max(chunkSize, await estimatedRows(deps.db, 'subscribers'))

  const flush = async () => {
    if (chunk.length > 0) {
      const rows = chunk
      let outcome: ChunkOutcome
      try {
        outcome = dryRun
          ? await importChunk(deps.db, rows, settings)
          : await deps.db.transaction((tx) => importChunk(tx, rows, settings))
      } catch (error) {
        throw new Error(
          `import stopped at line ${rows[0]!.line} (${(error as Error).message}); the lines before it were imported`,
          { cause: error },
        )
      }
      for (const key of [
        'createdConfirmed',
        'createdPending',
        'confirmationsQueued',
        'lessonsQueued',
      ] as const)
        report[key] += outcome[key]
      report.updated += outcome.updated
      report.unchanged += outcome.unchanged
      problems.push(...outcome.problems)
      const created = report.createdConfirmed + report.createdPending
      if (created >= analyzeAt) {
        analyzeAt = 2 * created
        // Only the planner's estimates: the rows are committed, so a failure here stops nothing.
        await refreshStatistics(deps.db, IMPORTED_TABLES).catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'import: could not refresh the tables statistics'),
        )
      }
    }
    problems.sort((a, b) => a.line - b.line)
    for (const problem of problems) options.onProblem?.(problem)
    report.skipped += new Set(problems.map((p) => p.line)).size
    chunk = []
    problems = []
  }

  for await (const item of records) {
    if (item.kind === 'broken') {
      report.stoppedAt = {
        line: item.line,
        field: 'csv',
        message: `${item.message}; the rest of the file was not read`,
      }
      break
    }
    report.rows++
    const checked = checkRow(item.fields, item.line, header, now)
    if (!checked.ok) problems.push(...checked.problems)
    else {
      const earlier = seen.get(checked.row.key)
      if (earlier !== undefined)
        problems.push({
          line: item.line,
          field: 'email',
          message: `the same address as line ${earlier}; skipped`,
        })
      else {
        seen.set(checked.row.key, item.line)
        chunk.push(checked.row)
      }
    }
    // Problems count towards the chunk too, so a file of nothing but bad rows still streams.
    if (chunk.length + problems.length >= chunkSize) await flush()
    options.onProgress?.({ rows: report.rows, bytesRead: item.bytesRead })
  }
  await flush()
  if (report.stoppedAt) options.onProblem?.(report.stoppedAt)
  deps.logger.info(
    { ...report, stoppedAt: report.stoppedAt?.line ?? null },
    dryRun ? 'import dry run' : 'import done',
  )
  return { ok: true, report }
}
