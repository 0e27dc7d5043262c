import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { acquireDataDirLock } from '../db/data-dir-lock'
import { migrate } from '../db/migrate'
import { countSubscribersByState } from '../subscribers/counts'
import type { CliContext } from './context'
import { EXIT, UsageError, writeLine } from './io'

export const dbUsage =
  'course db dump <file>               back up the embedded database (PGlite dump, gzip tar)\n' +
  'course db restore <file> [--force]  replace the embedded database with a dump (the old one is kept aside)'

/**
 * Why a file is not a dump made by `course db dump` (a gzip tar of PGlite's data folder with its
 * PG_VERSION at the top), or null if it looks like one. Checked before anything is moved, so a wrong
 * file gets a plain answer instead of PGlite's "failed to initialize".
 */
export function dumpFileProblem(bytes: Buffer): string | null {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b)
    return 'it is not a gzip file (a dump made by course db dump ends in .tar.gz)'
  let tar: Buffer
  try {
    tar = gunzipSync(bytes)
  } catch (error) {
    return `it is a damaged gzip file (${(error as Error).message})`
  }
  if (tar.length < 512 || tar.toString('latin1', 257, 262) !== 'ustar') return 'it is not a tar archive'
  // Walk the tar headers (512-byte blocks) looking for the data folder's version file.
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const name = tar.toString('latin1', offset, offset + 100).replace(/\0.*$/s, '')
    if (name === '') break
    if (name.replace(/^\.?\//, '') === 'PG_VERSION') return null
    const size = Number.parseInt(
      tar
        .toString('latin1', offset + 124, offset + 136)
        .replace(/\0.*$/s, '')
        .trim() || '0',
      8,
    )
    offset += 512 + Math.ceil(size / 512) * 512
  }
  return 'the archive holds no database (no PG_VERSION at its top)'
}

/**
 * `course db dump|restore`: backups of the embedded store with PGlite's own dump format. The database
 * must not be in use (a dump of live files could be torn). PostgreSQL users use pg_dump/pg_restore.
 */
export async function dbCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args
  const { values, positionals } = parseArgs({
    args: rest,
    options: { force: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  })
  const file = positionals[0]
  if ((sub !== 'dump' && sub !== 'restore') || !file || positionals.length > 1)
    throw new UsageError('course db dump <file> | course db restore <file> [--force]')
  const config = ctx.config()
  if (config.databaseUrl) {
    writeLine(
      ctx.io.err,
      'DATABASE_URL is set: back up PostgreSQL with pg_dump (and pg_restore); this command is for the embedded store.',
    )
    return EXIT.usage
  }
  const target = path.resolve(ctx.io.cwd, file)
  const lock = acquireDataDirLock(config.dataDir, `cli:db ${sub}`)
  if (!lock.acquired) {
    writeLine(
      ctx.io.err,
      `The embedded database is in use by process ${lock.holder.pid} (${lock.holder.role}). Stop it first, then run course db ${sub} again.`,
    )
    return EXIT.failed
  }
  const pgdata = path.join(config.dataDir, 'pgdata')
  const { PGlite } = await import('@electric-sql/pglite')
  const { wrapPglite } = await import('../db/pglite-adapter')
  try {
    if (sub === 'dump') {
      if (!existsSync(pgdata)) {
        writeLine(ctx.io.err, `there is no embedded database in ${config.dataDir} yet`)
        return EXIT.failed
      }
      const pglite = await PGlite.create({ dataDir: pgdata })
      const dump = await pglite.dumpDataDir('gzip')
      await pglite.close()
      writeFileSync(target, Buffer.from(await dump.arrayBuffer()))
      writeLine(ctx.io.out, `dumped ${config.dataDir} to ${target} (${Math.round(dump.size / 1024)} KB)`)
      return EXIT.ok
    }
    if (!existsSync(target)) throw new UsageError(`restore: no file ${target}`)
    const bytes = readFileSync(target)
    const problem = dumpFileProblem(bytes)
    if (problem) {
      writeLine(ctx.io.err, `restore refused, nothing changed: ${target}: ${problem}`)
      return EXIT.failed
    }
    const hasData = existsSync(pgdata) && readdirSync(pgdata).length > 0
    if (hasData && !values.force) {
      writeLine(
        ctx.io.err,
        `${pgdata} already holds a database. Add --force to replace it (the current one is moved aside, not deleted).`,
      )
      return EXIT.refused
    }
    let aside: string | null = null
    if (hasData) {
      aside = `${pgdata}.before-restore-${Date.now()}`
      renameSync(pgdata, aside)
    }
    try {
      const pglite = await PGlite.create({ dataDir: pgdata, loadDataDir: new Blob([bytes]) })
      const restored = wrapPglite(pglite)
      await migrate(restored)
      const states = await countSubscribersByState(restored)
      await pglite.close()
      writeLine(
        ctx.io.out,
        `restored ${target} into ${config.dataDir}: ${Object.values(states).reduce((a, b) => a + b, 0)} subscribers${aside ? ` (previous database kept in ${aside})` : ''}`,
      )
      return EXIT.ok
    } catch (error) {
      // The half-made folder holds nothing but what came from the file: remove it, then put the
      // previous database back, so a failed restore changes nothing and leaves nothing behind.
      rmSync(pgdata, { recursive: true, force: true })
      if (aside) renameSync(aside, pgdata)
      writeLine(ctx.io.err, `restore failed, nothing changed: ${(error as Error).message}`)
      return EXIT.failed
    }
  } finally {
    lock.release()
  }
}
