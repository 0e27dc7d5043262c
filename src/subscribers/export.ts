import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { stringify } from 'csv-stringify/sync'
import { courseSummaries } from '../course/progress'
import type { Queryable } from '../db/db'
import { neutralizeFormula } from '../lib/csv-formula'
import { EXPORT_ONLY_COLUMNS, IMPORT_COLUMNS } from './import-rows'

/**
 * The export's columns: the import's five first, in its order, then what only the database knows.
 * `courses` lists each enrolment as `course:status`, separated by `;`.
 */
export const EXPORT_COLUMNS = [...IMPORT_COLUMNS, ...EXPORT_ONLY_COLUMNS] as const
const ROW_COLUMNS = EXPORT_COLUMNS.filter((column) => column !== 'courses')

export const EXPORT_PAGE_SIZE = 1000

/** A nullable text cell with formula-like text neutralised (see src/lib/csv-formula.ts). */
export function escapeFormula(value: string | null): string | null {
  return value === null ? null : neutralizeFormula(value)
}

type ExportRow = { id: number } & Record<(typeof EXPORT_COLUMNS)[number], unknown>

async function write(out: Writable, text: string): Promise<void> {
  // An error emitted earlier (disk full while a page was read) would leave 'drain' never coming.
  if (out.errored) throw out.errored
  if (!out.write(text)) await once(out, 'drain')
}

/** How many rows an export will write (for the progress bar). */
export async function countSubscribers(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>('select count(*)::int as n from subscribers')
  return rows[0]?.n ?? 0
}

/**
 * Writes every subscriber as CSV, header first, in pages by id (keyset: each page is an index range
 * scan, and only one page is ever in memory). Waits for `out` to drain, so a slow pipe holds the query
 * back instead of filling memory. Not a snapshot: people who sign up meanwhile may or may not appear.
 * Returns the number of rows written.
 */
export async function exportSubscribers(
  q: Queryable,
  out: Writable,
  options: { pageSize?: number; onProgress?: (written: number) => void } = {},
): Promise<number> {
  const pageSize = options.pageSize ?? EXPORT_PAGE_SIZE
  const format = (rows: ExportRow[], header: boolean) =>
    stringify(rows, {
      header,
      columns: [...EXPORT_COLUMNS],
      cast: { boolean: (value) => String(value), date: (value) => value.toISOString() },
    })
  await write(out, format([], true))
  let after = 0
  let written = 0
  for (;;) {
    const { rows } = await q.query<ExportRow>(
      `select id, ${ROW_COLUMNS.join(', ')} from subscribers where id > $1 order by id limit $2`,
      [after, pageSize],
    )
    if (rows.length === 0) break
    const courses = await courseSummaries(
      q,
      rows.map((row) => row.id),
    )
    for (const row of rows) {
      row.courses = courses.get(Number(row.id)) ?? ''
      row.name = escapeFormula(row.name as string | null)
      row.consent_source = escapeFormula(row.consent_source as string | null)
    }
    await write(out, format(rows, false))
    written += rows.length
    after = rows.at(-1)!.id
    options.onProgress?.(written)
    if (rows.length < pageSize) break
  }
  return written
}
