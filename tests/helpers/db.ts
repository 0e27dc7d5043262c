import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import v8 from 'node:v8'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { inject } from 'vitest'
import { type Db, parseInt8, TYPE_OIDS } from '../../src/db/db'
import { type Migration, migrate } from '../../src/db/migrate'
import { openPg } from '../../src/db/pg-adapter'
import { PGLITE_START_PARAMS, type PgliteDb, wrapPglite } from '../../src/db/pglite-adapter'

export type Engine = 'pglite' | 'postgres'

/** The PostgreSQL server for tests, or null when it is not reachable (global setup said so loudly). */
export const POSTGRES_URL: string | null = inject('postgresUrl')

/** Every engine available here: PGlite always, PostgreSQL when reachable (always in CI). */
export const ENGINES: Engine[] = POSTGRES_URL ? ['pglite', 'postgres'] : ['pglite']

let sharedPglite: Promise<PgliteDb> | null = null

/**
 * One in-memory PGlite per test file, with the embedded default's settings (see openPglite), started
 * from the empty database global setup made (initdb takes seconds); a schema takes milliseconds.
 */
function pgliteInstance(): Promise<PgliteDb> {
  if (!sharedPglite) {
    v8.setFlagsFromString('--liftoff-only')
    sharedPglite = PGlite.create({
      loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]),
      startParams: PGLITE_START_PARAMS,
      parsers: { [TYPE_OIDS.int8]: parseInt8, [TYPE_OIDS.date]: (v: string) => v },
    }).then((pglite) => wrapPglite(pglite))
  }
  return sharedPglite
}

export interface TestDb extends Db {
  schema: string
}

/**
 * A migrated database in a schema of its own, so tests never see each other's rows. On PGlite the
 * session's search_path is switched to it (tests in a file run one at a time). `migrations`: only
 * these (an older release's schema), instead of all.
 */
export async function createTestDb(
  engine: Engine,
  options: { migrations?: Migration[] } = {},
): Promise<TestDb> {
  const schema = `t_${process.pid}_${randomBytes(5).toString('hex')}`
  if (engine === 'pglite') {
    const db = await pgliteInstance()
    await db.exec(`create schema "${schema}"; set search_path to "${schema}"`)
    await migrate(db, options.migrations)
    return {
      ...db,
      engine: 'pglite',
      schema,
      query: db.query,
      exec: db.exec,
      transaction: db.transaction,
      close: async () => {
        await db.exec(`drop schema "${schema}" cascade`)
      },
    }
  }
  if (!POSTGRES_URL) throw new Error('PostgreSQL is not available')
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  await admin.query(`create schema "${schema}"`)
  await admin.end()
  const db = openPg({ connectionString: POSTGRES_URL, schema, max: 5 })
  await migrate(db, options.migrations)
  return {
    ...db,
    engine: 'postgres',
    schema,
    close: async () => {
      await db.close()
      const cleanup = new pg.Client({ connectionString: POSTGRES_URL })
      await cleanup.connect()
      await cleanup.query(`drop schema if exists "${schema}" cascade`)
      await cleanup.end()
    },
  }
}

/** A new, empty schema on the PostgreSQL server (nothing migrated), and how to drop it. */
export async function emptyPostgresSchema(): Promise<{ schema: string; drop(): Promise<void> }> {
  if (!POSTGRES_URL) throw new Error('PostgreSQL is not available')
  const schema = `s_${process.pid}_${randomBytes(5).toString('hex')}`
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL! })
    await client.connect()
    try {
      await client.query(sql)
    } finally {
      await client.end()
    }
  }
  await run(`create schema "${schema}"`)
  return { schema, drop: () => run(`drop schema if exists "${schema}" cascade`) }
}

/**
 * A fresh, migrated schema on the PostgreSQL server whose URL child processes can use (the schema is
 * in the connection's search_path), with a Db for the test itself.
 */
export async function postgresSchemaForProcesses(): Promise<{ url: string; db: Db; drop(): Promise<void> }> {
  if (!POSTGRES_URL) throw new Error('PostgreSQL is not available')
  const schema = `p_${process.pid}_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  await admin.query(`create schema "${schema}"`)
  await admin.end()
  const url = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`
  const db = openPg({ connectionString: url, max: 5 })
  await migrate(db)
  return {
    url,
    db,
    async drop() {
      await db.close()
      const client = new pg.Client({ connectionString: POSTGRES_URL! })
      await client.connect()
      await client.query(`drop schema if exists "${schema}" cascade`)
      await client.end()
    },
  }
}
