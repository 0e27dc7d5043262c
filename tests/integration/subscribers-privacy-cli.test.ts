import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough, Writable } from 'node:stream'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCliContext } from '../../src/cli/context'
import { type CliIo, EXIT, UsageError } from '../../src/cli/io'
import { subscribersCommand } from '../../src/cli/subscribers'
import { EXPORT_COLUMNS } from '../../src/subscribers/export'
import { REPO_ROOT } from '../helpers/harness'
import { MAIN_COURSE } from '../helpers/web'

/** Runs `course subscribers …` with captured output against an embedded database in `dir`/data. */
function cliRunner(dir: string) {
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: path.join(dir, 'data'),
    OUTBOX_DIR: path.join(dir, 'outbox'),
    LESSONS_DIR: path.join(REPO_ROOT, 'lessons'),
    NEWSLETTERS_DIR: path.join(REPO_ROOT, 'newsletters'),
    SECRET: 'test-secret-test-secret-test-secret-0123',
    BASE_URL: 'https://course.example.org',
  }
  /** `answer`: what the operator types on a terminal; without it, stdin is not a terminal (a script). */
  return async (args: string[], answer?: string) => {
    const captured = { out: '', err: '' }
    const sink = (name: 'out' | 'err') =>
      new Writable({
        write(chunk, _encoding, callback) {
          captured[name] += String(chunk)
          callback()
        },
      })
    const stdin = new PassThrough() as PassThrough & { isTTY?: boolean }
    stdin.isTTY = answer !== undefined
    stdin.end(answer ?? '')
    const io: CliIo = { out: sink('out'), err: sink('err'), stdin, env, cwd: dir }
    const code = await subscribersCommand(args, createCliContext(io, 'subscribers'))
    return { code, ...captured }
  }
}

describe('course subscribers export / show / erase (CLI, embedded database)', () => {
  let dir: string
  let cli: ReturnType<typeof cliRunner>
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'course-cli-privacy-'))
    cli = cliRunner(dir)
    writeFileSync(
      path.join(dir, 'people.csv'),
      'email,name,timezone,confirmed_at,consent_source\n' +
        'Ada@example.org,Ada,Europe/London,2024-05-01T10:00:00Z,conference list\n' +
        'bob@example.org,Bob,,,\n',
    )
    expect((await cli(['import', 'people.csv', '--course', MAIN_COURSE])).code).toBe(EXIT.ok)
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('export --out writes the whole file owner-readable, and leaves no partial file', async () => {
    const result = await cli(['export', '--out', 'all.csv'])
    expect(result).toMatchObject({ code: EXIT.ok, out: 'exported 2 subscribers to all.csv\n' })
    const file = path.join(dir, 'all.csv')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(existsSync(`${file}.partial`)).toBe(false)
    const rows = parse(readFileSync(file), { columns: true }) as Record<string, string>[]
    expect(rows.map((r) => [r.email, r.status])).toEqual([
      ['Ada@example.org', 'confirmed'],
      ['bob@example.org', 'pending'],
    ])
    expect((await cli(['export', '--out', 'no/such/dir/all.csv'])).code).toBe(EXIT.failed)
  })

  it('export without --out writes CSV alone to stdout, the count to stderr', async () => {
    const result = await cli(['export'])
    expect(result.code).toBe(EXIT.ok)
    expect(result.out.split('\n')[0]).toBe(EXPORT_COLUMNS.join(','))
    expect(parse(result.out, { columns: true })).toHaveLength(2)
    expect(result.err).toContain('exported 2 subscribers')
  })

  it('show prints everything held as JSON; an unknown address exits 1', async () => {
    const shown = await cli(['show', 'ADA@example.org'])
    expect(shown.code).toBe(EXIT.ok)
    const record = JSON.parse(shown.out)
    expect(record.subscriber).toMatchObject({
      email: 'Ada@example.org',
      status: 'confirmed',
      consent_source: 'conference list',
      consent_text_version: 'import',
      confirmed_at: '2024-05-01T10:00:00.000Z',
    })
    expect(record.deliveries).toEqual([expect.objectContaining({ kind: 'lesson', status: 'queued' })])
    expect(record.emailEvents).toEqual([])

    const unknown = await cli(['show', 'nobody@example.org'])
    expect(unknown).toMatchObject({
      code: EXIT.failed,
      out: '',
      err: 'no subscriber with the address nobody@example.org\n',
    })
    await expect(cli(['show'])).rejects.toThrow(UsageError)
  })

  it('erase asks first: refuses without a terminal or a yes, erases on yes, and the address stays blocked', async () => {
    const refused = await cli(['erase', 'ada@example.org'])
    expect(refused.code).toBe(EXIT.refused)
    expect(refused.err).toContain('Add --yes to confirm in a script.')
    expect((await cli(['show', 'ada@example.org'])).code).toBe(EXIT.ok)

    const declined = await cli(['erase', 'ada@example.org'], 'no\n')
    expect(declined.code).toBe(EXIT.refused)
    expect(declined.err).toContain(
      'Erase Ada@example.org (confirmed) with 1 enrolment, 1 delivery and 0 email events? This cannot be undone.',
    )
    expect(declined.err).toContain('nothing erased.')
    expect((await cli(['show', 'ada@example.org'])).code).toBe(EXIT.ok)

    const erased = await cli(['erase', 'ada@example.org'], 'yes\n')
    expect(erased.code).toBe(EXIT.ok)
    expect(erased.out).toContain(
      'erased Ada@example.org: the subscriber record, 1 enrolment, 1 delivery and 0 email events.',
    )

    const gone = await cli(['show', 'ada@example.org'])
    expect(gone.code).toBe(EXIT.failed)
    expect(gone.err).toContain('it was erased on request')
    expect((await cli(['erase', 'ada@example.org', '--yes'])).code).toBe(EXIT.failed)
    const bob = await cli(['erase', 'bob@example.org', '--yes'])
    expect(bob.out).toContain(
      'erased bob@example.org: the subscriber record, 1 enrolment, 0 deliveries and 0 email events.',
    )

    const reimport = await cli(['import', 'people.csv', '--course', MAIN_COURSE])
    expect(reimport.code).toBe(EXIT.failed)
    expect(reimport.err).toContain('line 2: email: erased on request; they must subscribe again themselves')
    expect((await cli(['export'])).out).not.toContain('Ada')
  })
})
