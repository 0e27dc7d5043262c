import { stringify } from 'csv-stringify/sync'
import type { StatsTable } from './tables'

/**
 * Text a spreadsheet would run as a formula gets a leading `'` (OWASP's advice for CSV files). Titles
 * come from content files, not visitors, but an export is opened far from where it was made.
 */
export function neutralizeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
}

/** A table as RFC 4180 CSV: a header row of column keys, CRLF line ends, numbers as they are. */
export function tableToCsv(table: StatsTable): string {
  return stringify(
    [
      table.columns.map((column) => column.key),
      ...table.rows.map((row) =>
        row.map((cell) => (typeof cell === 'string' ? neutralizeFormula(cell) : cell)),
      ),
    ],
    { record_delimiter: 'windows' },
  )
}
