import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import v8 from 'node:v8'
import { PGlite } from '@electric-sql/pglite'
import { Mutex } from '../lib/mutex'
import { DatabaseUnavailableError, type Db, parseInt8, type Queryable, TYPE_OIDS } from './db'
import { PreparedStatements } from './pglite-statements'

export interface PgliteDb extends Db {
  readonly pglite: PGlite
  /**
   * The lock every in-process statement takes. Connections served on the socket (see pglite-serve.ts)
   * take it for a whole protocol exchange or transaction, because PGlite has one session shared by all.
   */
  readonly sessionLock: Mutex
  /** The error that stopped the engine for good (a PANIC such as a full disk), or null while it works. */
  readonly failure: () => Error | null
  /** Reports a failure seen outside the adapter (a socket client's answer): every later call refuses. */
  fail(error: Error): void
}

/** Called once when the engine stops for good; the process should exit (a supervisor restarts it). */
export type OnStorageFailure = (error: Error) => void

/**
 * Errors after which PGlite must not be touched again. A PANIC (severity) leaves its single session
 * in a state where the next statement spins forever at full CPU, and a full disk (53100) or an I/O
 * error (58030) means nothing more can be written: the only safe move is to stop, keeping what was
 * committed (PGlite replays its WAL at the next start).
 */
export function isStorageFailure(error: unknown): boolean {
  const { severity, code } = (error ?? {}) as { severity?: unknown; code?: unknown }
  return severity === 'PANIC' || severity === 'FATAL' || code === '53100' || code === '58030'
}

const parsers = { [TYPE_OIDS.int8]: parseInt8, [TYPE_OIDS.date]: (value: string) => value }

/** The statements that only begin or end a transaction. */
const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback)\s*;?\s*$/i

/**
 * PGlite's server settings. Its defaults are a server's (128 MB of shared buffers, all of it touched
 * in the WebAssembly heap and so in the process's memory); the files are read through the operating
 * system's cache anyway, so a small buffer pool costs little speed and saves about 100 MB at rest.
 */
export const PGLITE_START_PARAMS = [
  ...(PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams,
  '-c',
  'shared_buffers=16MB',
  '-c',
  'temp_buffers=2MB',
  '-c',
  'wal_buffers=1MB',
  // Prepared statements (see pglite-statements.ts) keep PostgreSQL's own choice (plan_cache_mode
  // auto): planned for their values five times, then a generic plan where it costs no more. Planning
  // every execution anew (force_custom_plan, used before) was most of a short insert's time: a
  // signup's three inserts took about 1 ms each instead of 0.45, a claim 10 ms instead of 3.4, and a
  // tick of 1,000 due lessons on 100,000 readers 455 ms instead of 374 (bench: "Tick cost").
]

/**
 * Creates a new database folder in a short-lived process of its own. PGlite's initdb runs a second
 * engine and grows the WebAssembly heap to 800 MB or more, which a process never gives back: done
 * here, the server that opens the folder next keeps only what a reopen needs.
 */
export async function createPgliteDataDir(dataDir: string): Promise<void> {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite')
  const script = `const { PGlite } = require(${JSON.stringify(entry)});
PGlite.create({ dataDir: process.argv[1] }).then((db) => db.close()).catch((error) => {
  process.stderr.write(String(error && error.message || error) + '\\n'); process.exit(1) })`
  const child = spawn(process.execPath, ['-e', script, dataDir], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) throw new Error(`creating the embedded database in ${dataDir} failed: ${stderr.trim()}`)
}

/**
 * Opens PGlite in `dataDir` (or in memory when undefined). The caller must hold the data-directory lock
 * (see data-dir-lock.ts): PGlite itself does not stop a second process from opening the same files.
 */
export async function openPglite(
  options: { dataDir?: string; schema?: string; onFailure?: OnStorageFailure } = {},
): Promise<PgliteDb> {
  // V8 compiles PGlite's WebAssembly quickly (Liftoff) and then again, optimized, for the code that
  // runs often: the second copy and the compiler's working memory add about 60 MB that stay. Measured
  // on our statements, the quick code alone is as fast (bench: "Footprint"), so it is all we keep.
  v8.setFlagsFromString('--liftoff-only')
  if (options.dataDir && !existsSync(path.join(options.dataDir, 'PG_VERSION')))
    await createPgliteDataDir(options.dataDir)
  const pglite = await PGlite.create({ dataDir: options.dataDir, parsers, startParams: PGLITE_START_PARAMS })
  if (options.schema) {
    await pglite.exec(
      `create schema if not exists "${options.schema}"; set search_path to "${options.schema}"`,
    )
  }
  return wrapPglite(pglite, options.onFailure)
}

/**
 * Wraps an open PGlite instance in the Db port. After a storage failure (see {@link isStorageFailure})
 * every call is refused with {@link DatabaseUnavailableError} without reaching the engine, and
 * `onFailure` is told once.
 */
export function wrapPglite(pglite: PGlite, onFailure: OnStorageFailure = () => {}): PgliteDb {
  const sessionLock = new Mutex()
  let failure: Error | null = null
  const fail = (error: Error) => {
    if (failure) return
    failure = error
    onFailure(error)
  }
  /** One call into the engine: refused after a failure, and a new failure is recorded. */
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    if (failure) throw new DatabaseUnavailableError(failure)
    try {
      return await work()
    } catch (error) {
      if (!isStorageFailure(error)) throw error
      fail(error as Error)
      throw new DatabaseUnavailableError(error)
    }
  }
  const statements = new PreparedStatements(pglite)
  const session: Queryable = {
    async query<T>(sql: string, params?: readonly unknown[]) {
      const result = await call(() => statements.query<T>(sql, params ?? [], pglite.isInTransaction()))
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length }
    },
    async exec(sql) {
      await call(() => pglite.exec(sql))
      // Statements without parameters are migrations and set-up, which may change what a prepared
      // statement reads: prepare them again. A transaction's own begin and end change nothing.
      if (!TRANSACTION_CONTROL.test(sql)) statements.forget()
    },
  }
  return {
    engine: 'pglite',
    pglite,
    sessionLock,
    failure: () => failure,
    fail,
    query: (sql, params) => sessionLock.run(() => session.query(sql, params)),
    exec: (sql) => sessionLock.run(() => session.exec(sql)),
    // Our own BEGIN/COMMIT rather than pglite.transaction(), which answers any error with a ROLLBACK:
    // after a PANIC that ROLLBACK is the statement that never returns. The session lock keeps every
    // other caller out until the transaction ends.
    transaction: (fn) =>
      sessionLock.run(async () => {
        await session.exec('begin')
        try {
          const result = await fn(session)
          await session.exec('commit')
          return result
        } catch (error) {
          if (!failure) await session.exec('rollback')
          throw error
        }
      }),
    async close() {
      // A failed engine is left as it is: closing runs a checkpoint on a session that may spin.
      await sessionLock.run(async () => {
        if (!failure) await pglite.close()
      })
    },
  }
}
