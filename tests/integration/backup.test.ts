import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
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
    expect(broken.err).toBe(
      `restore refused, nothing changed: ${path.join(dir, 'broken.tar.gz')}: it is not a gzip file (a dump made by course db dump ends in .tar.gz)\n`,
    )
    // A real gzip tar that is not a dump, and a dump cut short: each refused in plain words.
    writeFileSync(path.join(dir, 'other.tar.gz'), gzipSync(tarWithOneFile('notes.txt', 'hello')))
    const other = await course(['db', 'restore', 'other.tar.gz', '--force'], 'b')
    expect(other.err).toContain('the archive holds no database (no PG_VERSION at its top)')
    writeFileSync(
      path.join(dir, 'cut.tar.gz'),
      readFileSync(path.join(dir, 'backup.tar.gz')).subarray(0, 4000),
    )
    const cut = await course(['db', 'restore', 'cut.tar.gz', '--force'], 'b')
    expect(cut.err).toContain('it is a damaged gzip file')
    // Nothing is left behind by failed restores.
    expect(readdirSync(path.join(dir, 'b')).filter((name) => name.includes('failed-restore'))).toEqual([])
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

/** A tar archive (ustar) holding one small file. */
function tarWithOneFile(name: string, text: string): Buffer {
  const header = Buffer.alloc(512)
  header.write(name, 0, 'latin1')
  header.write('0000644\0', 100, 'latin1')
  header.write('0000000\0', 108, 'latin1')
  header.write('0000000\0', 116, 'latin1')
  header.write(`${Buffer.byteLength(text).toString(8).padStart(11, '0')}\0`, 124, 'latin1')
  header.write('00000000000\0', 136, 'latin1')
  header.write('0', 156, 'latin1')
  header.write('ustar\u000000', 257, 'latin1')
  header.fill(' ', 148, 156)
  let sum = 0
  for (const byte of header) sum += byte
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  const body = Buffer.alloc(512)
  body.write(text, 0, 'latin1')
  return Buffer.concat([header, body, Buffer.alloc(1024)])
}
