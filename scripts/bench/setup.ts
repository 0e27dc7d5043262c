import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { type Config, loadConfig, resolveSecret } from '../../src/config'
import type { Db } from '../../src/db/db'
import { migrate } from '../../src/db/migrate'
import { openPg } from '../../src/db/pg-adapter'
import { openPglite, type PgliteDb } from '../../src/db/pglite-adapter'

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..')
/** Scratch data (gitignored): PGlite files, the memory benchmark's database. */
export const TMP_DIR = path.join(REPO_ROOT, 'bench/tmp')

/** The PostgreSQL server the benchmarks use: the same default as the tests (trust auth, database `test`). */
export const POSTGRES_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export type Engine = 'pglite' | 'postgres'

/**
 * The Node options a launcher runs with, as users start it: package.json's script (`npm start`,
 * `npm run course`: `node <options> bin/<name>.js`), which must say the same as the launcher's own
 * first line (`#!/usr/bin/env -S node <options>`, what `npx course` and `npm link` run). Throws when the
 * two differ, so that a benchmark never measures a process started unlike the real one.
 */
export function launcherNodeOptions(script: 'start' | 'course'): string[] {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>
  }
  const launcher = `bin/${script}.js`
  const command = pkg.scripts?.[script] ?? ''
  const firstLine = readFileSync(path.join(REPO_ROOT, launcher), 'utf8').split('\n', 1)[0] ?? ''
  const inScript = command.startsWith('node ') && command.endsWith(` ${launcher}`)
  const inShebang = firstLine.startsWith('#!/usr/bin/env -S node')
  const options = (text: string) => text.split(/\s+/).filter(Boolean)
  const fromScript = options(command.slice('node '.length, -launcher.length))
  const fromShebang = options(firstLine.slice('#!/usr/bin/env -S node'.length))
  if (!inScript || !inShebang || fromScript.join(' ') !== fromShebang.join(' '))
    throw new Error(
      `package.json's "${script}" script (${command}) and ${launcher}'s first line (${firstLine}) must start node with the same options`,
    )
  return fromScript
}

/** Why PostgreSQL cannot be used, or null when it answers. Asked once at start. */
export async function postgresProblem(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('select 1')
    return null
  } catch (error) {
    return (error as Error).message || String(error)
  } finally {
    await client.end().catch(() => {})
  }
}

/** Runs one statement on the PostgreSQL server outside any schema (create/drop schema, version). */
export async function adminQuery<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

let sharedPglite: Promise<PgliteDb> | null = null

/**
 * One PGlite for the whole run, on disk like the embedded default (DATA_DIR/pgdata): creating one
 * takes seconds, a schema milliseconds. Benchmarks run one at a time, so switching its search_path is safe.
 */
function pgliteInstance(): Promise<PgliteDb> {
  if (!sharedPglite) {
    const dataDir = path.join(TMP_DIR, 'pglite')
    rmSync(dataDir, { recursive: true, force: true })
    mkdirSync(TMP_DIR, { recursive: true })
    // As the embedded default opens it: its start settings, its initdb in a process of its own.
    sharedPglite = openPglite({ dataDir })
  }
  return sharedPglite
}

/** Closes the shared PGlite (end of the run). */
export async function closePglite(): Promise<void> {
  if (!sharedPglite) return
  const db = await sharedPglite
  sharedPglite = null
  await db.close()
  rmSync(path.join(TMP_DIR, 'pglite'), { recursive: true, force: true })
}

export interface BenchDb {
  db: Db
  engine: Engine
  schema: string
  /** A connection string that reaches this schema (PostgreSQL only), for child processes. */
  url: string | null
  /** Drops the schema (and closes the pool). */
  close(): Promise<void>
}

/** A migrated database in a fresh schema of its own, dropped by `close()`. */
export async function openBenchDb(engine: Engine, name: string): Promise<BenchDb> {
  const schema = `bench_${name}_${randomBytes(4).toString('hex')}`
  if (engine === 'pglite') {
    const shared = await pgliteInstance()
    await shared.exec(`create schema "${schema}"; set search_path to "${schema}"`)
    await migrate(shared)
    // The shared instance stays open: only the schema goes.
    const db: Db = { ...shared, close: async () => {} }
    return {
      db,
      engine,
      schema,
      url: null,
      close: () => shared.exec(`drop schema "${schema}" cascade; set search_path to public`),
    }
  }
  // Write out what earlier benchmarks left dirty (a million seeded rows, say): otherwise the server's
  // next checkpoint lands in this benchmark's timings. Needs a privileged role; skipped without one.
  await adminQuery('checkpoint').catch(() => {})
  await adminQuery(`create schema "${schema}"`)
  const db = openPg({ connectionString: POSTGRES_URL, schema, max: 10, applicationName: 'course-bench' })
  await migrate(db)
  const url = new URL(POSTGRES_URL)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return {
    db,
    engine,
    schema,
    url: url.toString(),
    async close() {
      await db.close()
      await adminQuery(`drop schema if exists "${schema}" cascade`)
    },
  }
}

/** Settings every benchmark shares: the real lessons and newsletters, test secrets, quiet logs. */
export function benchEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATA_DIR: path.join(TMP_DIR, 'data'),
    OUTBOX_DIR: path.join(TMP_DIR, 'outbox'),
    LESSONS_DIR: path.join(REPO_ROOT, 'lessons'),
    NEWSLETTERS_DIR: path.join(REPO_ROOT, 'newsletters'),
    SECRET: 'bench-secret-bench-secret-bench-secret-01',
    BASE_URL: 'https://course.example.org',
    MAIL_FROM: 'SMP Course <course@mail.example.org>',
    POSTAL_ADDRESS: '1 Bench Street, Benchville',
    LOG_LEVEL: 'warn',
    ...extra,
  }
}

/** A validated Config from {@link benchEnv}, as `loadConfig` builds it for the real processes. */
export function benchConfig(extra: Record<string, string> = {}): Config & { secret: string } {
  return resolveSecret(loadConfig(benchEnv(extra), REPO_ROOT))
}
