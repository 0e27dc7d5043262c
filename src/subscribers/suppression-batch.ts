import type { Queryable } from '../db/db'
import { hashEmailKey } from './suppression'

/**
 * Which of these address keys were erased on request, in two statements whatever their number, and
 * without writing anything (isSuppressed creates the salt on first use; a dry run or an access
 * request must not). The hash is suppression.ts's {@link hashEmailKey} with the salt in `meta`.
 */
export async function findSuppressedKeys(q: Queryable, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set()
  const { rows } = await q.query<{ value: string }>(`select value from meta where key = 'suppression_salt'`)
  const salt = rows[0]?.value
  // No salt yet means nobody was ever erased: addSuppression creates it before the first hash.
  if (salt === undefined) return new Set()
  const byHash = new Map(keys.map((key) => [hashEmailKey(salt, key), key]))
  const found = await q.query<{ email_hash: string }>(
    'select email_hash from suppressions where email_hash = any($1::text[])',
    [[...byHash.keys()]],
  )
  return new Set(found.rows.map((row) => byHash.get(row.email_hash)!))
}
