import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCourse } from '../helpers/cli'
import { FIXTURES } from '../helpers/harness'

/**
 * While a lesson is broken (an author's edit in progress), the commands that honour people's requests
 * and show the state of things must still work: only sending waits for the content to be fixed.
 */
describe('CLI commands with broken content', () => {
  let dir: string
  let env: Record<string, string>
  const course = (args: string[]) => runCourse(args, env, dir)

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'course-broken-'))
    const lessons = path.join(dir, 'lessons')
    cpSync(path.join(FIXTURES, 'lessons-short'), lessons, { recursive: true })
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: path.join(dir, 'data'),
      OUTBOX_DIR: path.join(dir, 'outbox'),
      LESSONS_DIR: lessons,
      NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
      SECRET: 'test-secret-test-secret-test-secret-0123',
      BASE_URL: 'https://course.example.org',
    }
    writeFileSync(
      path.join(dir, 'people.csv'),
      'email,name,timezone,confirmed_at,consent_source\n' +
        'ada@example.org,Ada,UTC,2026-01-01T10:00:00Z,list\n' +
        'bob@example.org,Bob,UTC,2026-01-01T10:00:00Z,list\n',
    )
    expect((await course(['subscribers', 'import', 'people.csv'])).code).toBe(0)
    // Then an author breaks a lesson.
    const file = path.join(lessons, 'short', '01-second.md')
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^day: .*$/m, 'day: two'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const WARNING =
    /^warning: the content has 1 problem\(s\) \(npm run build lists them\); course \S+ sends nothing, so it goes on/

  it.each([
    [['status']],
    [['stats']],
    [['subscribers', 'show', 'ada@example.org']],
    [['subscribers', 'export']],
    [['simulate', '--email', 'ada@example.org']],
  ])('course %j works with a warning', async (args) => {
    const result = await course(args)
    expect(result.code, result.err).toBe(0)
    expect(result.err).toMatch(WARNING)
  })

  it('unsubscribes and erases people on request', async () => {
    const unsubscribed = await course(['subscribers', 'unsubscribe', 'ada@example.org'])
    expect(unsubscribed.code, unsubscribed.err).toBe(0)
    expect(unsubscribed.err).toMatch(WARNING)
    const shown = await course(['subscribers', 'show', 'ada@example.org'])
    expect(JSON.parse(shown.out).subscriber.status).toBe('unsubscribed')
    const erased = await course(['subscribers', 'erase', 'bob@example.org', '--yes'])
    expect(erased.code, erased.err).toBe(0)
    expect(erased.err).toMatch(WARNING)
    expect((await course(['subscribers', 'show', 'bob@example.org'])).code).toBe(1)
  })

  it('still refuses to send until the content is fixed, naming the problem', async () => {
    const result = await course(['run-due'])
    expect(result.code).toBe(1)
    expect(result.err).toContain('01-second.md: day: expected a whole number')
    expect(result.err).not.toMatch(WARNING)
  })
})
