/** One line of the results table: a figure, and what it is compared with. */
export interface Row {
  /** Which benchmark (section heading in the table). */
  group: string
  figure: string
  /** Median over `runs`; null when the row could not be measured (see `note`). */
  value: number | null
  unit: string
  /** What the figure is read against: a baseline measured in the same run, an aim, or both. */
  baseline?: { label: string; value: number | null; unit: string }
  aim?: string
  /** value / baseline (or the ratio the issue asks for); null when either side is missing. */
  ratio?: number | null
  runs: number
  note?: string
}

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Runs `once` `runs` times in a row and returns every result (benchmarks report the median). */
export async function repeat<T>(runs: number, once: (run: number) => Promise<T>): Promise<T[]> {
  const results: T[] = []
  for (let run = 0; run < runs; run++) results.push(await once(run))
  return results
}

/** A row saying loudly why there is no figure (PostgreSQL down, a child process failed). */
export function notMeasured(group: string, figure: string, why: string): Row {
  return { group, figure, value: null, unit: '', runs: 0, note: `NOT MEASURED (${why})` }
}

/** Whole numbers as they are (with thousands separators); others to about 3 significant digits. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-'
  const abs = Math.abs(value)
  if (Number.isInteger(value) || abs >= 1000) return Math.round(value).toLocaleString('en-US')
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  if (abs >= 1) return value.toFixed(2)
  return value.toPrecision(2)
}

function withUnit(value: number | null | undefined, unit: string): string {
  const text = formatNumber(value)
  return text === '-' || unit === '' ? text : `${text} ${unit}`
}

function cells(row: Row): string[] {
  const against = [
    row.baseline ? `${row.baseline.label}: ${withUnit(row.baseline.value, row.baseline.unit)}` : '',
    row.aim ? `aim ${row.aim}` : '',
  ].filter(Boolean)
  const value = row.value === null ? (row.note ?? 'not measured') : withUnit(row.value, row.unit)
  const ratio = row.ratio === undefined || row.ratio === null ? '' : `${formatNumber(row.ratio)}x`
  return [row.figure, value, against.join('; '), ratio, row.value === null ? '' : String(row.runs)]
}

const HEADINGS = ['figure', 'value (median)', 'baseline / aim', 'ratio', 'runs']

/** The table for a terminal: one section per benchmark, columns padded, notes under their row. */
export function formatTable(rows: readonly Row[]): string {
  const table = rows.map(cells)
  const widths = HEADINGS.map((heading, i) =>
    Math.max(heading.length, ...table.map((r) => (r[i] ?? '').length)),
  )
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  const out = [line(HEADINGS), widths.map((w) => '-'.repeat(w)).join('  ')]
  let group = ''
  rows.forEach((row, index) => {
    if (row.group !== group) {
      group = row.group
      out.push(`[${group}]`)
    }
    out.push(line(table[index] as string[]))
    if (row.note && row.value !== null) out.push(`    note: ${row.note}`)
  })
  return out.join('\n')
}

/** The same table in Markdown, for the README's Performance section: notes become numbered footnotes. */
export function formatMarkdown(rows: readonly Row[]): string {
  const escapeCell = (text: string) => text.replaceAll('|', '\\|')
  const notes: string[] = []
  const out = [`| ${HEADINGS.join(' | ')} |`, `|${' --- |'.repeat(HEADINGS.length)}`]
  let group = ''
  for (const row of rows) {
    if (row.group !== group) {
      group = row.group
      out.push(`| **${escapeCell(group)}** |${' |'.repeat(HEADINGS.length - 1)}`)
    }
    const line = cells(row)
    if (row.note && row.value !== null) {
      notes.push(row.note)
      line[0] = `${line[0]} [${notes.length}]`
    }
    out.push(`| ${line.map(escapeCell).join(' | ')} |`)
  }
  return [...out, '', ...notes.map((note, i) => `${i + 1}. ${note}`)].join('\n')
}
