import { DateTime } from 'luxon'
import { restoreFormula } from '../lib/csv-formula'
import { canonicalZone } from '../lib/timezones'
import { checkEmail, checkName } from './validate'

/** The columns of an import file, in the order `course subscribers export` writes them first. */
export const IMPORT_COLUMNS = ['email', 'name', 'timezone', 'confirmed_at', 'consent_source'] as const
export type ImportColumn = (typeof IMPORT_COLUMNS)[number]

/** Columns only an export has: recognised so the header message can say what to do with such a file. */
export const EXPORT_ONLY_COLUMNS = [
  'status',
  'consent_at',
  'consent_text_version',
  'newsletter_opt_in',
  'courses',
  'created_at',
] as const
const EXPORT_ONLY = new Set<string>(EXPORT_ONLY_COLUMNS)

export const CONSENT_SOURCE_MAX_LENGTH = 200

/** One problem with one line of the file, printed as `line N: field: problem`. */
export interface RowProblem {
  /** The file's line number where the record starts (the header is line 1). */
  line: number
  /** The column at fault, `row` for the record as a whole, `csv` for broken CSV syntax. */
  field: ImportColumn | 'row' | 'csv'
  message: string
}

export function formatRowProblem(problem: RowProblem): string {
  return `line ${problem.line}: ${problem.field}: ${problem.message}`
}

/** A valid row, ready to be matched against the database. */
export interface ImportRow {
  line: number
  email: string
  key: string
  name: string | null
  /** A valid IANA zone, or null when the cell is empty (new people get UTC, existing ones keep theirs). */
  timezone: string | null
  /** Proof of consent: present means the person confirmed elsewhere; absent means they start pending. */
  confirmedAt: Date | null
  consentSource: string | null
}

/** Where each column sits in a record, from the header. */
export type ColumnIndex = Record<ImportColumn, number>

export type HeaderCheck = { ok: true; index: ColumnIndex; width: number } | { ok: false; message: string }

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]!
}

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ')

/**
 * Checks the header: exactly the five columns, in any order, letter case and surrounding spaces
 * ignored. Says everything that is wrong at once (missing, unknown with a likely meaning, repeated),
 * because an operator fixes a header in one go.
 */
export function checkHeader(fields: readonly string[]): HeaderCheck {
  const names = fields.map((field) => field.trim().toLowerCase())
  const expected = IMPORT_COLUMNS.join(',')
  if (!names.some((name) => (IMPORT_COLUMNS as readonly string[]).includes(name))) {
    const firstLine = fields.join(',').replace(/[^\x20-\x7e]/g, '?')
    const shown = firstLine.length > 60 ? `${firstLine.slice(0, 60)}…` : firstLine
    return {
      ok: false,
      message: `not a subscriber CSV: the first line must be the header ${expected}, but it reads "${shown}"`,
    }
  }
  const unknown = names.filter((name) => !(IMPORT_COLUMNS as readonly string[]).includes(name))
  const missing = IMPORT_COLUMNS.filter((column) => !names.includes(column))
  const repeated = IMPORT_COLUMNS.filter((column) => names.filter((name) => name === column).length > 1)
  if (unknown.length === 0 && missing.length === 0 && repeated.length === 0) {
    const index = Object.fromEntries(IMPORT_COLUMNS.map((c) => [c, names.indexOf(c)])) as ColumnIndex
    return { ok: true, index, width: names.length }
  }
  const parts: string[] = []
  if (missing.length > 0) parts.push(`missing column(s) ${quoted(missing)}`)
  if (unknown.length > 0) {
    const described = unknown.map((name) => {
      if (name === '') return 'an unnamed one (a trailing comma?)'
      const near = missing.find((column) => editDistance(name, column) <= 2)
      return near ? `"${name}" (did you mean "${near}"?)` : `"${name}"`
    })
    parts.push(`unknown column(s) ${described.join(', ')}`)
  }
  if (repeated.length > 0) parts.push(`repeated column(s) ${quoted(repeated)}`)
  let message = `header: ${parts.join('; ')}. Expected exactly ${expected} (in any order).`
  if (unknown.length > 0 && unknown.every((name) => EXPORT_ONLY.has(name)))
    message +=
      ' This looks like an export: keep only those five columns (and leave out people whose status is unsubscribed, bounced or complained, who would otherwise be imported as subscribers).'
  return { ok: false, message }
}

/** An export neutralises formula-like text (see src/lib/csv-formula.ts); reading it back restores it. */
export const unescapeFormula = restoreFormula

const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$/

/**
 * An ISO 8601 date-time with a zone (Z or an offset). A date alone, or a local time without a zone,
 * is refused: proof of consent needs an unambiguous instant.
 */
export function parseConsentInstant(
  value: string,
  now: Date,
): { ok: true; at: Date } | { ok: false; message: string } {
  const example = 'such as 2024-03-01T10:00:00Z or 2024-03-01T11:00:00+01:00'
  if (!ISO_DATE_TIME.test(value))
    return { ok: false, message: `"${value}" is not an ISO 8601 date-time with a zone, ${example}` }
  const parsed = DateTime.fromISO(value.replace(' ', 'T'), { setZone: true })
  if (!parsed.isValid)
    return { ok: false, message: `"${value}" is not a real date-time (${parsed.invalidExplanation})` }
  const at = parsed.toJSDate()
  if (at > now) return { ok: false, message: `"${value}" is in the future (now is ${now.toISOString()})` }
  return { ok: true, at }
}

/**
 * A zone's name is checked by building an Intl.DateTimeFormat, about 40 µs each: at 100,000 rows that
 * was most of an import's time. The answers never change within a process; the cache is capped so a
 * file full of junk zone names cannot grow it without bound.
 */
const canonicalNames = new Map<string, string | null>()
function cachedCanonicalZone(name: string): string | null {
  let canonical = canonicalNames.get(name)
  if (canonical === undefined) {
    canonical = canonicalZone(name)
    if (canonicalNames.size < 1000) canonicalNames.set(name, canonical)
  }
  return canonical
}

/** Cleans free text like a name (one line, no control characters), keeping its full length to check it. */
function cleanText(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * Validates one record against the header. Returns the row, or every problem it has (one per field),
 * so the operator can fix a line in one pass.
 */
export function checkRow(
  fields: readonly string[],
  line: number,
  header: { index: ColumnIndex; width: number },
  now: Date,
): { ok: true; row: ImportRow } | { ok: false; problems: RowProblem[] } {
  if (fields.length !== header.width) {
    const hint = fields.length > header.width ? ' (a comma inside a value needs quotes: "Smith, Jo")' : ''
    return {
      ok: false,
      problems: [
        {
          line,
          field: 'row',
          message: `has ${fields.length} field(s), the header has ${header.width}${hint}`,
        },
      ],
    }
  }
  const problems: RowProblem[] = []
  const cell = (column: ImportColumn) => fields[header.index[column]]!.trim()
  for (const column of IMPORT_COLUMNS) {
    // The parser turns bytes that are not UTF-8 into U+FFFD: the file was saved in another encoding.
    if (cell(column).includes('\uFFFD'))
      problems.push({
        line,
        field: column,
        message: 'is not UTF-8 text (save the file as UTF-8 and import it again)',
      })
  }
  if (problems.length > 0) return { ok: false, problems }

  const email = checkEmail(cell('email'))
  if (!email.ok) problems.push({ line, field: 'email', message: email.message })

  const zone = cell('timezone')
  const canonical = zone === '' ? null : cachedCanonicalZone(zone)
  if (zone !== '' && !canonical)
    problems.push({
      line,
      field: 'timezone',
      message: `"${zone}" is not an IANA time zone such as Europe/Paris or America/New_York (leave it empty for UTC)`,
    })

  let confirmedAt: Date | null = null
  const confirmed = cell('confirmed_at')
  if (confirmed !== '') {
    const instant = parseConsentInstant(confirmed, now)
    if (instant.ok) confirmedAt = instant.at
    else problems.push({ line, field: 'confirmed_at', message: instant.message })
  }

  const source = cleanText(unescapeFormula(cell('consent_source')))
  if (source.length > CONSENT_SOURCE_MAX_LENGTH)
    problems.push({
      line,
      field: 'consent_source',
      message: `is ${source.length} characters long (${CONSENT_SOURCE_MAX_LENGTH} at most)`,
    })
  else if (source === '' && confirmed !== '')
    problems.push({
      line,
      field: 'consent_source',
      message:
        'is required when confirmed_at is given: say where and how they agreed (e.g. "webinar form 2024")',
    })

  const name = checkName(unescapeFormula(cell('name')))
  if (!name.ok) problems.push({ line, field: 'name', message: name.message })

  if (problems.length > 0 || !email.ok || !name.ok) return { ok: false, problems }
  return {
    ok: true,
    row: {
      line,
      email: email.email,
      key: email.key,
      name: name.name,
      timezone: canonical,
      confirmedAt,
      consentSource: source === '' ? null : source,
    },
  }
}
