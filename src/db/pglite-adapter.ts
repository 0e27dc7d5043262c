import { PGlite, type Transaction } from '@electric-sql/pglite'
import { Mutex } from '../lib/mutex'
import { type Db, parseInt8, type Queryable, TYPE_OIDS } from './db'

export interface PgliteDb extends Db {
  readonly pglite: PGlite
  /**
   * The lock every in-process statement takes. Connections served on the socket (see pglite-serve.ts)
   * take it for a whole protocol exchange or transaction, because PGlite has one session shared by all.
   */
  readonly sessionLock: Mutex
}

const parsers = { [TYPE_OIDS.int8]: parseInt8, [TYPE_OIDS.date]: (value: string) => value }

/**
 * Opens PGlite in `dataDir` (or in memory when undefined). The caller must hold the data-directory lock
 * (see data-dir-lock.ts): PGlite itself does not stop a second process from opening the same files.
 */
export async function openPglite(options: { dataDir?: string; schema?: string } = {}): Promise<PgliteDb> {
  const pglite = await PGlite.create({ dataDir: options.dataDir, parsers })
  if (options.schema) {
    await pglite.exec(
      `create schema if not exists "${options.schema}"; set search_path to "${options.schema}"`,
    )
  }
  return wrapPglite(pglite)
}

function wrapTransaction(tx: Transaction): Queryable {
  return {
    async query(sql, params) {
      const result = await tx.query(sql, params as unknown[])
      return { rows: result.rows as never[], rowCount: result.affectedRows ?? result.rows.length }
    },
    async exec(sql) {
      await tx.exec(sql)
    },
  }
}

/** Wraps an open PGlite instance in the Db port. */
export function wrapPglite(pglite: PGlite): PgliteDb {
  const sessionLock = new Mutex()
  return {
    engine: 'pglite',
    pglite,
    sessionLock,
    async query<T>(sql: string, params?: readonly unknown[]) {
      const result = await sessionLock.run(() => pglite.query<T>(sql, params as unknown[]))
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length }
    },
    async exec(sql) {
      await sessionLock.run(() => pglite.exec(sql))
    },
    transaction(fn) {
      return sessionLock.run(() => pglite.transaction((tx) => fn(wrapTransaction(tx))))
    },
    async close() {
      await sessionLock.run(() => pglite.close())
    },
  }
}
