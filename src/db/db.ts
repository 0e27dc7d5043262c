/** Rows of one statement. Counts and ids come back as JavaScript numbers on both engines. */
export interface QueryResult<T> {
  rows: T[]
  rowCount: number
}

/** Something that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  /** One statement with `$1…` parameters bound by the driver (never string-built). */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>
}

/**
 * The storage port. Two adapters share one SQL dialect: PGlite (embedded, one process) and
 * PostgreSQL through `pg` (any number of processes).
 */
export interface Db extends Queryable {
  readonly engine: 'pglite' | 'postgres'
  /** Runs `fn` in one transaction; commits if it resolves, rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  close(): Promise<void>
}

/** Type parsers shared by both adapters: int8 and dates as plain values, not BigInt or local-midnight Dates. */
export const TYPE_OIDS = { int8: 20, date: 1082 } as const

/** `int8` fits a JS number for every id and count this project produces (< 2^53). */
export function parseInt8(value: string): number {
  return Number(value)
}

/**
 * The database cannot be reached or dropped the connection (a restart, a failover, a full disk, a
 * killed backend). Expected, not a bug: callers answer 503, end a tick, or print one line, and the
 * next attempt reconnects. The driver's own error is kept as `cause`.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the database connection was lost or refused: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    })
    this.name = 'DatabaseUnavailableError'
  }
}

/**
 * SQLSTATE classes and codes that mean "no usable connection" rather than "this statement is wrong":
 * class 08 (connection exception), 57P01–57P03 (admin/crash shutdown, cannot connect now), 53100
 * (disk full), 58030 (I/O error); and the socket errors Node reports.
 */
const LOST_CODES = new Set(['57P01', '57P02', '57P03', '53100', '58030'])
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT',
])

/** Whether a driver error means the connection is gone (see {@link DatabaseUnavailableError}). */
export function isConnectionLoss(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true
  const code = (error as { code?: unknown })?.code
  if (typeof code === 'string') {
    if (code.startsWith('08') || LOST_CODES.has(code) || SOCKET_CODES.has(code)) return true
  }
  const message = (error as Error)?.message ?? ''
  return /Connection terminated|Client has encountered a connection error|connection timeout|terminating connection/i.test(
    message,
  )
}
