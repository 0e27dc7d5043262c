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
