import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { parseInt8, TYPE_OIDS } from '../../src/db/db'
import { openPg } from '../../src/db/pg-adapter'
import { type PgliteDb, wrapPglite } from '../../src/db/pglite-adapter'
import { servePglite } from '../../src/db/pglite-serve'

/** The named statements the engine's one session holds now. */
async function prepared(pglite: PGlite): Promise<string[]> {
  const { rows } = await pglite.query<{ name: string }>(
    'select name from pg_prepared_statements order by name',
  )
  return rows.map((row) => row.name)
}

describe('prepared statements on the embedded engine', () => {
  let pglite: PGlite
  let db: PgliteDb
  beforeEach(async () => {
    pglite = await PGlite.create({
      loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]),
      parsers: { [TYPE_OIDS.int8]: parseInt8, [TYPE_OIDS.date]: (v: string) => v },
    })
    db = wrapPglite(pglite)
    await db.exec(
      'create table t (id bigint primary key, name text not null, tags text[], at timestamptz, day date, doc jsonb)',
    )
  })
  afterEach(async () => {
    await db.close()
  })

  it('answers as pglite.query does, for every type the project reads, and prepares each text once', async () => {
    const at = new Date('2027-01-04T09:00:00.123Z')
    const insert = 'insert into t (id, name, tags, at, day, doc) values ($1, $2, $3, $4, $5, $6) returning *'
    for (const id of [1, 2, 3])
      await db.query(insert, [id, `n${id}`, ['a', `b"${id}`], at, '2027-01-04', { k: [id] }])
    const select =
      'select id, name, tags, at, day, doc, count(*) over ()::int as n from t where id >= $1 order by id'
    const ours = await db.query(select, [2])
    const theirs = await pglite.query(select, [2])
    expect(ours.rows).toEqual(theirs.rows)
    expect(ours.rows[0]).toEqual({
      id: 2,
      name: 'n2',
      tags: ['a', 'b"2'],
      at,
      day: '2027-01-04',
      doc: { k: [2] },
      n: 2,
    })
    const updated = await db.query('update t set name = $2 where id = any($1::bigint[])', [[1, 3], 'x'])
    expect(updated.rowCount).toBe(2)
    // One statement per distinct text, however often it ran.
    expect(await prepared(pglite)).toHaveLength(3)
  })

  it('keeps working after an error, inside and outside a transaction, without preparing again', async () => {
    const insert = 'insert into t (id, name) values ($1, $2)'
    await db.query(insert, [1, 'a'])
    await expect(db.query(insert, [1, 'b'])).rejects.toMatchObject({ code: '23505' })
    await expect(db.transaction((tx) => tx.query(insert, [1, 'c']))).rejects.toMatchObject({ code: '23505' })
    await db.query(insert, [2, 'd'])
    expect((await db.query<{ n: number }>('select count(*)::int as n from t')).rows).toEqual([{ n: 2 }])
    expect(await prepared(pglite)).toHaveLength(2)
  })

  it('prepares again when a table changes shape, or when the session lost its statements', async () => {
    const all = 'select * from t order by id'
    await db.query('insert into t (id, name) values (1, $1)', ['a'])
    expect(Object.keys((await db.query(all)).rows[0]!)).not.toContain('extra')
    // Through exec, as migrations run: every statement is prepared again.
    await db.exec('alter table t add column extra int default 7')
    expect((await db.query(all)).rows[0]).toMatchObject({ id: 1, extra: 7 })
    // Through query: the engine refuses the old plan ("cached plan must not change result type").
    await db.query('alter table t add column more int default 8')
    expect((await db.query(all)).rows[0]).toMatchObject({ id: 1, extra: 7, more: 8 })
    // A socket client may reset the session: its statements are gone.
    await pglite.exec('deallocate all')
    expect((await db.query(all)).rows).toHaveLength(1)
  })

  it('holds a bounded number of statements however many different texts run', async () => {
    for (let i = 0; i < 320; i++) expect((await db.query(`select ${i}::int as n`)).rows).toEqual([{ n: i }])
    const names = await prepared(pglite)
    expect(names.length).toBeGreaterThan(100)
    expect(names.length).toBeLessThanOrEqual(300)
    // The newest ones are kept, the oldest closed.
    expect((await db.query('select 319::int as n')).rows).toEqual([{ n: 319 }])
    expect(await prepared(pglite)).toEqual(names)
  })

  it('answers the process and a socket client each with their own rows, turn after turn', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'course-statements-'))
    const server = await servePglite(db, dir)
    const client = openPg({ socketDir: dir, max: 1 })
    try {
      await db.query('insert into t (id, name) values (1, $1), (2, $2)', ['one', 'two'])
      const mine = 'select name from t where id = $1'
      for (let turn = 0; turn < 3; turn++) {
        // The client's exchange, then the process's own statements: each gets its own answer.
        expect((await client.query('select count(*)::int as n from t')).rows).toEqual([{ n: 2 }])
        expect((await db.query(mine, [1])).rows).toEqual([{ name: 'one' }])
        expect((await db.query(mine, [2])).rows).toEqual([{ name: 'two' }])
        expect((await client.query('select name from t where id = $1', [2])).rows).toEqual([{ name: 'two' }])
      }
    } finally {
      await client.close()
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
