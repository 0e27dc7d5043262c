import pg from 'pg'
import {
  DatabaseUnavailableError,
  type Db,
  isConnectionLoss,
  parseInt8,
  type Queryable,
  TYPE_OIDS,
} from './db'

const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === TYPE_OIDS.int8) return parseInt8
    if (oid === TYPE_OIDS.date) return (value: string) => value
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

export interface PgOptions {
  connectionString?: string
  /** For a PGlite served on a Unix socket: the folder holding `.s.PGSQL.5432`. */
  socketDir?: string
  /** Every connection uses this schema (tests isolate themselves this way). */
  schema?: string
  max?: number
  /** Close idle connections quickly (socket clients of a running PGlite must not hold its session). */
  idleTimeoutMillis?: number
  applicationName?: string
}

/** A lost connection becomes {@link DatabaseUnavailableError}; any other error passes unchanged. */
function translated(error: unknown): unknown {
  return isConnectionLoss(error) && !(error instanceof DatabaseUnavailableError)
    ? new DatabaseUnavailableError(error)
    : error
}

async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw translated(error)
  }
}

function wrapClient(client: pg.PoolClient): Queryable {
  return {
    async query(sql, params) {
      const result = await run(() => client.query(sql, params as unknown[]))
      return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length }
    },
    async exec(sql) {
      await run(() => client.query(sql))
    },
  }
}

/** The Db port over a `pg` connection pool: PostgreSQL, or a running PGlite reached through its socket. */
export function openPg(options: PgOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    ...(options.socketDir ? { host: options.socketDir, user: 'postgres', database: 'postgres' } : {}),
    max: options.max ?? 10,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 10_000,
    application_name: options.applicationName ?? 'course',
    options: options.schema ? `-c search_path="${options.schema}"` : undefined,
    types,
  })
  // An idle client losing its connection (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  // A client's connection can report its end after the client left a transaction or a pool query (the
  // server's "terminating connection" arrives after the cut was seen, while the pool discards it): with
  // no listener that late 'error' event would end the process. Queries on it fail on their own.
  pool.on('connect', (client) => client.on('error', () => {}))
  return {
    engine: options.socketDir ? 'pglite' : 'postgres',
    async query<T>(sql: string, params?: readonly unknown[]) {
      const result = await run(() => pool.query(sql, params as unknown[]))
      return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length }
    },
    async exec(sql) {
      await run(() => pool.query(sql))
    },
    async transaction(fn) {
      const client = await run(() => pool.connect())
      // A checked-out client has no listener of the pool's: a connection cut between two statements
      // would otherwise be an unhandled 'error' event that ends the process. Noted here, the next
      // statement fails with it, and the client is destroyed instead of going back to the pool.
      let lost: Error | undefined
      const onError = (error: Error) => {
        lost = error
      }
      client.on('error', onError)
      try {
        await client.query('begin')
        const result = await fn(wrapClient(client))
        await run(() => client.query('commit'))
        return result
      } catch (error) {
        if (isConnectionLoss(error)) lost ??= error as Error
        else await client.query('rollback').catch(() => {})
        throw translated(error)
      } finally {
        client.off('error', onError)
        client.release(lost)
      }
    },
    close: () => pool.end(),
  }
}
