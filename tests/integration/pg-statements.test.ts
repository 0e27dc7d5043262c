import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../src/db/db'
import { openPg, StatementNames } from '../../src/db/pg-adapter'
import { emptyPostgresSchema, POSTGRES_URL } from '../helpers/db'

describe('statement names', () => {
  it('names each text once, the same name every time, and none beyond the limit', () => {
    const names = new StatementNames(2)
    const a = names.config('select $1::int', [1])
    expect(a.name).toMatch(/^course_\d+$/)
    expect(names.config('select $1::int', [2])).toEqual({ name: a.name, text: 'select $1::int', values: [2] })
    const b = names.config('select $1::text', ['x'])
    expect(b.name).not.toBe(a.name)
    expect(names.config('select $1::date', ['2027-01-04'])).toEqual({
      text: 'select $1::date',
      values: ['2027-01-04'],
    })
  })

  it('gives a text a new name after a stale-statement error only', () => {
    const names = new StatementNames()
    const first = names.config('select * from t where id = $1', [1])
    expect(names.renew(first, Object.assign(new Error('unique'), { code: '23505' }))).toBe(false)
    expect(names.config('select * from t where id = $1', [1]).name).toBe(first.name)
    expect(names.renew(first, Object.assign(new Error('stale'), { code: '0A000' }))).toBe(true)
    const second = names.config('select * from t where id = $1', [1])
    expect(second.name).not.toBe(first.name)
    // A second connection failing with the old name does not renew it again.
    expect(names.renew(first, Object.assign(new Error('stale'), { code: '0A000' }))).toBe(true)
    expect(names.config('select * from t where id = $1', [1]).name).toBe(second.name)
  })
})

describe.runIf(POSTGRES_URL)('prepared statements on a PostgreSQL server', () => {
  let space: { schema: string; drop(): Promise<void> }
  let db: Db

  /** The named statements of the pool's one connection. */
  const prepared = async (): Promise<string[]> =>
    (
      await db.query<{ statement: string }>(
        'select statement from pg_prepared_statements where not from_sql order by statement',
      )
    ).rows.map((row) => row.statement)

  beforeEach(async () => {
    space = await emptyPostgresSchema()
    // One connection: what it prepared is what pg_prepared_statements shows.
    db = openPg({ connectionString: POSTGRES_URL!, schema: space.schema, max: 1 })
    await db.exec('create table t (id bigint primary key, name text not null, day date, doc jsonb)')
  })
  afterEach(async () => {
    await db.close()
    await space.drop()
  })

  it('answers as an unnamed statement does, and prepares each text once per connection', async () => {
    const insert = 'insert into t (id, name, day, doc) values ($1, $2, $3, $4)'
    for (const id of [1, 2, 3]) await db.query(insert, [id, `n${id}`, '2027-01-04', { k: [id] }])
    const select = 'select id, name, day, doc, count(*) over ()::int as n from t where id >= $1 order by id'
    const first = await db.query(select, [2])
    const again = await db.query(select, [2])
    expect(first.rows).toEqual([
      { id: 2, name: 'n2', day: '2027-01-04', doc: { k: [2] }, n: 2 },
      { id: 3, name: 'n3', day: '2027-01-04', doc: { k: [3] }, n: 2 },
    ])
    expect(again.rows).toEqual(first.rows)
    await db.transaction(async (tx) => {
      expect((await tx.query(select, [3])).rows).toHaveLength(1)
      expect(
        (await tx.query('update t set name = $2 where id = any($1::bigint[])', [[1, 3], 'x'])).rowCount,
      ).toBe(2)
    })
    expect(await prepared()).toEqual(
      [insert, select, 'update t set name = $2 where id = any($1::bigint[])'].sort(),
    )
  })

  it('prepares again when a table changes shape: at once outside a transaction, at the next one inside', async () => {
    const select = 'select * from t where id = $1'
    await db.query('insert into t (id, name) values ($1, $2)', [1, 'a'])
    expect((await db.query(select, [1])).rows).toEqual([{ id: 1, name: 'a', day: null, doc: null }])
    await db.exec('alter table t add column extra text')
    expect((await db.query(select, [1])).rows).toEqual([
      { id: 1, name: 'a', day: null, doc: null, extra: null },
    ])

    await db.transaction((tx) => tx.query(select, [1]))
    await db.exec('alter table t drop column extra')
    // Inside a transaction the error ends it, as any error does; the next transaction prepares anew.
    await expect(db.transaction((tx) => tx.query(select, [1]))).rejects.toMatchObject({ code: '0A000' })
    expect((await db.transaction((tx) => tx.query(select, [1]))).rows).toEqual([
      { id: 1, name: 'a', day: null, doc: null },
    ])
  })

  it('prepares nothing when told not to (a pooler in transaction mode)', async () => {
    const unprepared = openPg({
      connectionString: POSTGRES_URL!,
      schema: space.schema,
      max: 1,
      prepare: false,
    })
    try {
      await unprepared.query('insert into t (id, name) values ($1, $2)', [1, 'a'])
      await unprepared.transaction((tx) => tx.query('select * from t where id = $1', [1]))
      const { rows } = await unprepared.query(
        'select count(*)::int as n from pg_prepared_statements where not from_sql',
      )
      expect(rows).toEqual([{ n: 0 }])
    } finally {
      await unprepared.close()
    }
  })

  it('keeps a query without parameters, or many statements in one text, unprepared', async () => {
    await db.exec('insert into t (id, name) values (1, $$a;b$$); insert into t (id, name) values (2, $$c$$)')
    expect((await db.query<{ n: number }>('select count(*)::int as n from t')).rows).toEqual([{ n: 2 }])
    expect(await prepared()).toEqual([])
  })
})
