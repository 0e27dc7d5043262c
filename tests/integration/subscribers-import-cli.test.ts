import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable, Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCliContext } from '../../src/cli/context'
import { type CliIo, EXIT, UsageError } from '../../src/cli/io'
import { subscribersCommand } from '../../src/cli/subscribers'
import { FIXTURES, REPO_ROOT } from '../helpers/harness'
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
  return async (...args: string[]) => {
    const captured = { out: '', err: '' }
    const sink = (name: 'out' | 'err') =>
      new Writable({
        write(chunk, _encoding, callback) {
          captured[name] += String(chunk)
          callback()
        },
      })
    const io: CliIo = { out: sink('out'), err: sink('err'), stdin: Readable.from([]), env, cwd: dir }
    const code = await subscribersCommand(args, createCliContext(io, 'subscribers'))
    return { code, ...captured }
  }
}

describe('course subscribers import (CLI, embedded database)', () => {
  let dir: string
  let cli: ReturnType<typeof cliRunner>
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'course-cli-import-'))
    cli = cliRunner(dir)
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('rejects a wrong command line as a usage error (exit 2 through runCli)', async () => {
    await expect(cli('import')).rejects.toThrow(UsageError)
    await expect(cli('import', 'a.csv', 'b.csv')).rejects.toThrow('give exactly one CSV file')
    await expect(cli('import', 'missing.csv')).rejects.toThrow('cannot read missing.csv')
    await expect(cli('import', '.')).rejects.toThrow('. is not a file')
    await expect(cli('import', 'x.csv', '--dry')).rejects.toMatchObject({
      code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
    })
    await expect(cli('frobnicate')).rejects.toThrow('unknown subscribers command "frobnicate"')
    // The real content holds two courses: an import must say which one new people join.
    writeFileSync(path.join(dir, 'header-only.csv'), 'email,name,timezone,confirmed_at,consent_source\n')
    await expect(cli('import', 'header-only.csv')).rejects.toThrow(
      `give --course (courses: ${MAIN_COURSE}, unhappy-with-your-smp)`,
    )
  })

  it('dry run, then the real import: problems on stderr by line, summary on stdout, exit 1 for bad rows', async () => {
    // The CLI runs on the real clock: the fixture's late-2026 confirmation could still lie in the future.
    const fixture = path.join(dir, 'mixed.csv')
    writeFileSync(
      fixture,
      readFileSync(path.join(FIXTURES, 'csv/mixed.csv'), 'utf8').replace('2026-12-24', '2020-12-24'),
    )
    const dry = await cli('import', fixture, '--dry-run', '--course', MAIN_COURSE)
    expect(dry.code).toBe(EXIT.failed)
    expect(dry.out).toContain(
      'nothing written: 10 rows; would create 7 (4 confirmed and enrolled, 3 pending)',
    )
    expect(dry.err).toContain('line 7: email: An email address needs an @, like name@example.com.')
    expect(dry.err).toContain('line 8: email: the same address as line 3; skipped')
    // The progress bar's final line (stderr is not a terminal here: plain lines).
    expect(dry.err).toMatch(/checking: 10\/10 100%/)

    const real = await cli('import', fixture, '--course', MAIN_COURSE)
    expect(real.code).toBe(EXIT.failed)
    expect(real.out).toContain(
      `imported ${fixture}: 10 rows; create 7 (4 confirmed and enrolled, 3 pending), update 0, left 0 unchanged, skip 3 (listed above).`,
    )
    expect(real.out).toContain('queued 4 first lessons and 0 confirmation emails')
    expect(real.out).toContain('3 new pending people got no email')
    expect(real.err.match(/^line \d+: /gm)).toHaveLength(3)

    const again = await cli('import', fixture, '--send-confirmations', '--course', MAIN_COURSE)
    expect(again.out).toContain(
      'create 0 (0 confirmed and enrolled, 0 pending), update 0, left 7 unchanged, skip 3',
    )
    expect(again.out).not.toContain('queued')
  })

  it('exits 0 when every row is fine', async () => {
    writeFileSync(
      path.join(dir, 'clean.csv'),
      'email,name,timezone,confirmed_at,consent_source\nclean@example.org,Cleo,,,\n',
    )
    const result = await cli('import', 'clean.csv', '--send-confirmations', '--course', MAIN_COURSE)
    expect(result.code).toBe(EXIT.ok)
    expect(result.out).toContain('queued 0 first lessons and 1 confirmation email;')
    expect(result.err).not.toMatch(/^line /m)
  })

  it('a file that is not a subscriber CSV: one message, exit 1, nothing changed', async () => {
    const file = path.join(dir, 'wrong.csv')
    writeFileSync(file, 'mail,name,timezone,confirmed_at,consent_source\nx@example.org,X,,,\n')
    const result = await cli('import', 'wrong.csv', '--course', MAIN_COURSE)
    expect(result.code).toBe(EXIT.failed)
    expect(result.err).toBe(
      'wrong.csv: header: missing column(s) "email"; unknown column(s) "mail" (did you mean "email"?). ' +
        'Expected exactly email,name,timezone,confirmed_at,consent_source (in any order).\nNothing was changed.\n',
    )
    writeFileSync(file, '')
    const empty = await cli('import', 'wrong.csv', '--course', MAIN_COURSE)
    expect(empty.code).toBe(EXIT.failed)
    expect(empty.err).toContain('the file is empty')
    expect((await cli('show', 'x@example.org')).code).toBe(EXIT.failed)
  })
})
