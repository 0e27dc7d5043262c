import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Db } from './db'

/**
 * The migrations folder: beside this file when run from src/, or src/db/migrations of the project
 * when run from the compiled JavaScript under dist/ (see bin/build.js).
 */
function findMigrationsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  for (let dir = here; ; dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, 'migrations'), path.join(dir, 'src', 'db', 'migrations')])
      if (existsSync(path.join(candidate, '001_init.sql'))) return candidate
    if (path.dirname(dir) === dir) return path.join(here, 'migrations')
  }
}

const MIGRATIONS_DIR = findMigrationsDir()

export interface Migration {
  version: number
  name: string
  sql: string
}

/** Numbered migrations, `NNN_name.sql`, in order. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(path.join(dir, file), 'utf8'),
    }))
}

/**
 * Applies the migrations not yet recorded, in one transaction. Safe at every start and from several
 * processes at once: the transaction first takes an advisory lock scoped to the current schema, so a
 * second process waits, then sees the work done and applies nothing.
 * Returns the versions applied by this call.
 */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(hashtext('course-migrate:' || current_schema()))`)
    await tx.exec(`create table if not exists schema_migrations (
      version int primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`)
    const { rows } = await tx.query<{ version: number }>('select version from schema_migrations')
    const done = new Set(rows.map((row) => row.version))
    const applied: number[] = []
    for (const migration of migrations) {
      if (done.has(migration.version)) continue
      await tx.exec(migration.sql)
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [
        migration.version,
        migration.name,
      ])
      applied.push(migration.version)
    }
    return applied
  })
}
