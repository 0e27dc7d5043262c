import type { Queryable } from './db'

/**
 * The planner's statistics, for code that grows tables in bulk (an import). PostgreSQL plans with
 * what its last analyze saw; a prepared statement's generic plan is made once from it and kept until
 * the next one. Planned on tables an import was just beginning to fill, the enrolments read of each
 * chunk kept a hash join over every subscriber (30 ms a chunk at 100,000 readers instead of 6), until
 * autovacuum's analyze, a minute later or never (PGlite has no autovacuum).
 */

/** PostgreSQL's estimate of a table's rows: 0 before its first analyze. */
export async function estimatedRows(q: Queryable, table: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    'select greatest(reltuples, 0)::bigint as n from pg_class where oid = to_regclass($1)',
    [table],
  )
  return rows[0]?.n ?? 0
}

/**
 * Analyzes these tables: samples a fixed number of rows each, so it costs well under a second at any
 * size, and every plan made from older statistics is made again. A role that does not own a table
 * gets a warning, not an error.
 */
export async function refreshStatistics(q: Queryable, tables: readonly string[]): Promise<void> {
  await q.query(`analyze ${tables.join(', ')}`)
}
