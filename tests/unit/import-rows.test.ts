import { describe, expect, it } from 'vitest'
import { escapeFormula } from '../../src/subscribers/export'
import {
  checkHeader,
  checkRow,
  formatRowProblem,
  IMPORT_COLUMNS,
  parseConsentInstant,
  unescapeFormula,
} from '../../src/subscribers/import-rows'

const NOW = new Date('2027-01-04T08:00:00Z')
const header = (() => {
  const checked = checkHeader([...IMPORT_COLUMNS])
  if (!checked.ok) throw new Error(checked.message)
  return checked
})()

/** A record in header order. */
const row = (email: string, name = '', timezone = '', confirmedAt = '', source = '') => [
  email,
  name,
  timezone,
  confirmedAt,
  source,
]

function problemsOf(fields: string[], line = 2) {
  const checked = checkRow(fields, line, header, NOW)
  return checked.ok ? [] : checked.problems.map(formatRowProblem)
}

describe('checkHeader', () => {
  it('accepts the five columns in any order, whatever the case and spacing', () => {
    const checked = checkHeader([' Consent_Source', 'TIMEZONE', 'email ', 'confirmed_at', 'name'])
    expect(checked).toEqual({
      ok: true,
      width: 5,
      index: { email: 2, name: 4, timezone: 1, confirmed_at: 3, consent_source: 0 },
    })
  })

  it('names missing, misspelled and extra columns in one message', () => {
    const checked = checkHeader(['email', 'name', 'timezone', 'confirmd_at', 'phone'])
    expect(checked.ok).toBe(false)
    if (checked.ok) return
    expect(checked.message).toContain('missing column(s) "confirmed_at", "consent_source"')
    expect(checked.message).toContain('"confirmd_at" (did you mean "confirmed_at"?)')
    expect(checked.message).toContain('"phone"')
    expect(checked.message).toContain('Expected exactly email,name,timezone,confirmed_at,consent_source')
  })

  it('points at an unnamed column', () => {
    const checked = checkHeader([...IMPORT_COLUMNS, ''])
    expect(checked.ok).toBe(false)
    if (!checked.ok) expect(checked.message).toContain('unknown column(s) an unnamed one (a trailing comma?)')
  })

  it('rejects a repeated column', () => {
    const checked = checkHeader([...IMPORT_COLUMNS, 'email'])
    expect(checked.ok).toBe(false)
    if (!checked.ok) expect(checked.message).toContain('repeated column(s) "email"')
  })

  it('says a file without the header is not a subscriber CSV, quoting its first line', () => {
    const checked = checkHeader(['ada@example.org', 'Ada', 'UTC'])
    expect(checked.ok).toBe(false)
    if (!checked.ok) {
      expect(checked.message).toContain('not a subscriber CSV')
      expect(checked.message).toContain('"ada@example.org,Ada,UTC"')
    }
  })

  it('recognises an export file and says what to keep', () => {
    const checked = checkHeader([...IMPORT_COLUMNS, 'status', 'created_at'])
    expect(checked.ok).toBe(false)
    if (!checked.ok) expect(checked.message).toContain('This looks like an export')
  })
})

describe('checkRow', () => {
  it('returns a clean row: trimmed address, lower-case key, empty zone as null', () => {
    const checked = checkRow(row('  Ada@Example.ORG ', ' Ada  Lovelace '), 7, header, NOW)
    expect(checked).toEqual({
      ok: true,
      row: {
        line: 7,
        email: 'Ada@example.org',
        key: 'ada@example.org',
        name: 'Ada Lovelace',
        timezone: null,
        confirmedAt: null,
        consentSource: null,
      },
    })
  })

  it('keeps proof of consent as an instant', () => {
    const checked = checkRow(
      row('a@example.org', '', 'Europe/Paris', '2026-03-01T11:00:00+01:00', 'webinar 2026'),
      2,
      header,
      NOW,
    )
    expect(checked.ok && checked.row).toMatchObject({
      timezone: 'Europe/Paris',
      confirmedAt: new Date('2026-03-01T10:00:00Z'),
      consentSource: 'webinar 2026',
    })
  })

  it('reports every bad field of a line as line N: field: problem', () => {
    expect(problemsOf(row('not-an-address', '', 'Mars/Olympus', 'yesterday', ''), 12)).toEqual([
      'line 12: email: An email address needs an @, like name@example.com.',
      'line 12: timezone: "Mars/Olympus" is not an IANA time zone such as Europe/Paris or America/New_York (leave it empty for UTC)',
      'line 12: confirmed_at: "yesterday" is not an ISO 8601 date-time with a zone, such as 2024-03-01T10:00:00Z or 2024-03-01T11:00:00+01:00',
      'line 12: consent_source: is required when confirmed_at is given: say where and how they agreed (e.g. "webinar form 2024")',
    ])
  })

  it('stores a zone under its one canonical name, and refuses names a mail app would turn into links', () => {
    const alias = checkRow(row('a@example.org', '', 'asia/calcutta'), 2, header, NOW)
    expect(alias.ok && alias.row.timezone).toBe('Asia/Kolkata')
    expect(problemsOf(row('a@example.org', 'https://evil.example/win'), 7)).toEqual([
      'line 7: name: Please enter just your first name, without a web or email address.',
    ])
    expect(problemsOf(row('a@example.org', 'Eve\u202Emoc'), 8)).toEqual([
      'line 8: name: Your name contains invisible or control characters; please type it again.',
    ])
  })

  it('refuses a confirmation in the future, an impossible date and a time without a zone', () => {
    expect(problemsOf(row('a@example.org', '', '', '2027-02-01T00:00:00Z', 'x'))[0]).toContain(
      'is in the future (now is 2027-01-04T08:00:00.000Z)',
    )
    expect(problemsOf(row('a@example.org', '', '', '2026-02-30T10:00:00Z', 'x'))[0]).toContain(
      'is not a real date-time',
    )
    expect(problemsOf(row('a@example.org', '', '', '2026-02-01 10:00', 'x'))[0]).toContain('with a zone')
    expect(problemsOf(row('a@example.org', '', '', '2026-02-01', 'x'))[0]).toContain('with a zone')
  })

  it('limits consent_source to 200 characters', () => {
    expect(problemsOf(row('a@example.org', '', '', '', 'x'.repeat(201)))).toEqual([
      'line 2: consent_source: is 201 characters long (200 at most)',
    ])
    expect(problemsOf(row('a@example.org', '', '', '', 'x'.repeat(200)))).toEqual([])
  })

  it('reports a wrong number of fields for the row as a whole', () => {
    expect(problemsOf(['a@example.org', 'Smith', ' Jo', 'UTC', '', ''], 4)).toEqual([
      'line 4: row: has 6 field(s), the header has 5 (a comma inside a value needs quotes: "Smith, Jo")',
    ])
  })

  it('reports text that was not UTF-8', () => {
    expect(problemsOf(row('a@example.org', 'Ren\uFFFD'))).toEqual([
      'line 2: name: is not UTF-8 text (save the file as UTF-8 and import it again)',
    ])
  })
})

describe('formula escaping', () => {
  it('round-trips text a spreadsheet would run as a formula', () => {
    for (const value of ['=HYPERLINK("http://evil")', '+1', '-x', '@SUM(A1)', 'Plain', "'quoted"]) {
      expect(unescapeFormula(escapeFormula(value)!)).toBe(value)
    }
    expect(escapeFormula('=1+1')).toBe("'=1+1")
    expect(escapeFormula('Ada')).toBe('Ada')
  })
})

describe('parseConsentInstant', () => {
  it('accepts the usual ISO 8601 spellings with a zone', () => {
    for (const value of [
      '2026-03-01T10:00:00Z',
      '2026-03-01T11:00:00+0100',
      '2026-03-01 10:00Z',
      '2026-03-01T10:00:00.000Z',
    ])
      expect(parseConsentInstant(value, NOW)).toEqual({ ok: true, at: new Date('2026-03-01T10:00:00Z') })
  })
})
