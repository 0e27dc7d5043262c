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
  /**
   * Run queries with parameters as named prepared statements (default: on PostgreSQL, off on a
   * PGlite's socket, whose one session the server and every client share).
   */
  prepare?: boolean
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

/** Distinct statement texts kept prepared at most; a text seen after these runs unnamed. */
export const PREPARED_LIMIT = 500

/** SQLSTATEs after which a prepared statement is prepared again under a new name. */
const STALE_CODES = new Set([
  // invalid_sql_statement_name: gone from the session
  '26000',
  // feature_not_supported: "cached plan must not change result type", after a table changed shape
  '0A000',
])

/**
 * Names for prepared statements, one per statement text, shared by the pool's connections (each
 * connection prepares a name the first time it runs it). An unnamed statement is parsed, analysed and
 * planned anew at each call: on the engine's batch that was most of PostgreSQL's time (the claim, the
 * lesson policy's reads, the settle), 3,400 against 5,700 emails/s when named. PostgreSQL re-plans by
 * itself when a table changes, and keeps choosing per call between a custom and a generic plan
 * (plan_cache_mode auto), as it does on PGlite.
 */
export class StatementNames {
  readonly #byText = new Map<string, string>()
  #counter = 0

  constructor(readonly limit = PREPARED_LIMIT) {}

  /** The statement for a query with parameters: named while under the limit, else unnamed. */
  config(sql: string, params: readonly unknown[]): pg.QueryConfig {
    let name = this.#byText.get(sql)
    if (!name && this.#byText.size < this.limit) {
      name = `course_${++this.#counter}`
      this.#byText.set(sql, name)
    }
    return name
      ? { name, text: sql, values: params as unknown[] }
      : { text: sql, values: params as unknown[] }
  }

  /**
   * After a stale-statement error with this name: the text gets a new one, which every connection
   * prepares afresh (the old one stays with the sessions that hold it, unused). False when the error
   * was not of a prepared statement.
   */
  renew(config: pg.QueryConfig, error: unknown): boolean {
    const code = (error as { code?: unknown } | null)?.code
    if (!config.name || typeof code !== 'string' || !STALE_CODES.has(code)) return false
    if (this.#byText.get(config.text) === config.name)
      this.#byText.set(config.text, `course_${++this.#counter}`)
    return true
  }
}

/**
 * Runs a query with parameters as a prepared statement. Outside a transaction, a statement that went
 * stale runs once more under its new name; inside one, the error ends the transaction as any other.
 */
async function runNamed(
  names: StatementNames | null,
  client: pg.Pool | pg.PoolClient,
  sql: string,
  params: readonly unknown[] | undefined,
  inTransaction: boolean,
): Promise<pg.QueryResult> {
  if (!names || params === undefined) return run(() => client.query(sql, params as unknown[]))
  const config = names.config(sql, params)
  try {
    return await client.query(config)
  } catch (error) {
    // Renewed inside a transaction too, so that the next one prepares the new shape.
    if (names.renew(config, error) && !inTransaction)
      return run(() => client.query(names.config(sql, params)))
    throw translated(error)
  }
}

function wrapClient(client: pg.PoolClient, names: StatementNames | null): Queryable {
  return {
    async query(sql, params) {
      const result = await runNamed(names, client, sql, params, true)
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
  const names = (options.prepare ?? !options.socketDir) ? new StatementNames() : null
  return {
    engine: options.socketDir ? 'pglite' : 'postgres',
    async query<T>(sql: string, params?: readonly unknown[]) {
      const result = await runNamed(names, pool, sql, params, false)
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
        const result = await fn(wrapClient(client, names))
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
