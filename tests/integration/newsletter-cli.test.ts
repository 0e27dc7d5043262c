import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { openDatabase } from '../../src/db/open'
import { silentLogger } from '../../src/lib/logger'
import { runCourse } from '../helpers/cli'
import { FIXTURES } from '../helpers/harness'
import { readOutbox } from '../helpers/outbox'

/** The real CLI end to end (its own runtime on a data folder), not the in-process test context. */
describe('course newsletter send, as run from a shell', () => {
  let dir: string
  let env: Record<string, string>
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'course-nl-cli-'))
    env = {
      NODE_ENV: 'test',
      DATA_DIR: path.join(dir, 'data'),
      OUTBOX_DIR: path.join(dir, 'outbox'),
      LESSONS_DIR: path.join(FIXTURES, 'lessons-short'),
      NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
      RESEND_RATE_LIMIT: '1000',
    }
    const opened = await openDatabase(loadConfig(env), { role: 'test', serve: false, logger: silentLogger })
    await opened.db.query(
      `insert into subscribers (email, email_key, status) select 'cli' || n || '@example.org', 'cli' || n || '@example.org', 'confirmed' from generate_series(1, 12) n`,
    )
    await opened.close()
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('sends to everyone, prints the summary, and leaves the database closed only after the send', async () => {
    const result = await runCourse(['newsletter', 'send', 'autumn', '--yes'], env, dir)
    expect(result.err).not.toMatch(/closed|Error/)
    expect(result.code).toBe(0)
    expect(result.out).toContain('"autumn": 12 sent, 0 skipped, 0 failed')
    expect((await readOutbox(env.OUTBOX_DIR!)).filter((m) => m.subject === 'News for autumn')).toHaveLength(
      12,
    )
    const again = await runCourse(['newsletter', 'list'], env, dir)
    expect(again.out).toMatch(/autumn\s+sent \(12 recipients\)/)
  })
})
