import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { acquireDataDirLock } from '../../src/db/data-dir-lock'
import { openDatabase } from '../../src/db/open'
import { silentLogger } from '../../src/lib/logger'
import { runCourse } from '../helpers/cli'

describe('backups of the embedded database', () => {
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'course-backup-'))
    const opened = await openDatabase(loadConfig({ DATA_DIR: path.join(dir, 'a'), NODE_ENV: 'test' }), {
      role: 'test',
      serve: false,
      logger: silentLogger,
    })
    await opened.db.query(
      `insert into subscribers (email, email_key, status) select 'b' || n || '@example.org', 'b' || n || '@example.org', 'confirmed' from generate_series(1, 3) n`,
    )
    await opened.close()
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const course = (args: string[], dataDir: string, extra: Record<string, string> = {}) =>
    runCourse(args, { NODE_ENV: 'test', DATA_DIR: path.join(dir, dataDir), ...extra }, dir)

  it('dumps and restores into another data folder, keeping what was there aside', async () => {
    const dump = await course(['db', 'dump', 'backup.tar.gz'], 'a')
    expect(dump.code, dump.err).toBe(0)
    expect(existsSync(path.join(dir, 'backup.tar.gz'))).toBe(true)

    const restored = await course(['db', 'restore', 'backup.tar.gz'], 'b')
    expect(restored.code, restored.err).toBe(0)
    expect(restored.out).toContain('3 subscribers')

    const refused = await course(['db', 'restore', 'backup.tar.gz'], 'b')
    expect(refused.code).toBe(3)
    expect(refused.err).toContain('--force')
    const forced = await course(['db', 'restore', 'backup.tar.gz', '--force'], 'b')
    expect(forced.code).toBe(0)
    expect(readdirSync(path.join(dir, 'b')).some((name) => name.startsWith('pgdata.before-restore-'))).toBe(
      true,
    )
  })

  it('refuses while the database is in use, keeps the data when a restore file is broken, and points PostgreSQL users to pg_dump', async () => {
    const lock = acquireDataDirLock(path.join(dir, 'a'), 'npm start')
    try {
      const busy = await course(['db', 'dump', 'x.tar.gz'], 'a')
      expect(busy.code).toBe(1)
      expect(busy.err).toContain('in use by process')
    } finally {
      if (lock.acquired) lock.release()
    }
    writeFileSync(path.join(dir, 'broken.tar.gz'), 'not a dump')
    const broken = await course(['db', 'restore', 'broken.tar.gz', '--force'], 'b')
    expect(broken.code).toBe(1)
    expect(broken.err).toContain('restore failed, nothing changed')
    const opened = await openDatabase(loadConfig({ DATA_DIR: path.join(dir, 'b'), NODE_ENV: 'test' }), {
      role: 'test',
      serve: false,
      logger: silentLogger,
    })
    const { rows } = await opened.db.query<{ n: number }>('select count(*)::int as n from subscribers')
    await opened.close()
    expect(rows[0]!.n).toBe(3)
    const pgUser = await course(['db', 'dump', 'x'], 'a', { DATABASE_URL: 'postgres://u@127.0.0.1:1/x' })
    expect(pgUser.code).toBe(2)
    expect(pgUser.err).toContain('pg_dump')
  })
})
