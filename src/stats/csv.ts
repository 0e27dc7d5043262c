import { stringify } from 'csv-stringify/sync'
import { neutralizeFormula } from '../lib/csv-formula'
import type { StatsTable } from './tables'

export { neutralizeFormula }

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
