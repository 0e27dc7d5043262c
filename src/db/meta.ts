import type { Queryable } from './db'

/**
 * The `meta` table: a few named values the installation keeps for itself (the salt of erasure
 * records, the lesson plan last applied). Each key has one user; the statements are here.
 */
export async function readMeta(q: Queryable, key: string): Promise<string | undefined> {
  const { rows } = await q.query<{ value: string }>('select value from meta where key = $1', [key])
  return rows[0]?.value
}

export async function writeMeta(q: Queryable, key: string, value: string): Promise<void> {
  await q.query(
    'insert into meta (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value',
    [key, value],
  )
}

/** Stores `value` unless the key has one already; returns the value in force either way. */
export async function keepFirstMeta(q: Queryable, key: string, value: string): Promise<string> {
  await q.query('insert into meta (key, value) values ($1, $2) on conflict (key) do nothing', [key, value])
  return (await readMeta(q, key)) as string
}
