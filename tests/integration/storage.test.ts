import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate } from '../../src/db/migrate'
import { openPg } from '../../src/db/pg-adapter'
import { claimBatchStatement, claimNewBatch } from '../../src/delivery/store/batches'
import { queueEmails } from '../../src/delivery/store/queue'
import { findSubscriberByKey, insertSubscriber } from '../../src/subscribers/store'
import { createTestDb, ENGINES, POSTGRES_URL, type TestDb } from '../helpers/db'
import { seedDueReaders } from '../helpers/seed'

const NOW = new Date('2027-01-04T09:00:00Z')
const person = (email: string) => ({
  email,
  key: email.toLowerCase(),
  name: null,
  timezone: 'UTC',
  status: 'pending' as const,
  consentAt: NOW,
  consentSource: 'test',
  consentIp: null,
  consentTextVersion: 'v1',
  confirmedAt: null,
})

describe.each(ENGINES)('storage (%s)', (engine) => {
  let db: TestDb
  beforeEach(async () => {
    db = await createTestDb(engine)
  })
  afterEach(async () => {
    await db.close()
  })

  it('applies migrations once: a second run changes nothing', async () => {
    expect(await migrate(db)).toEqual([])
    const { rows } = await db.query<{ n: number }>('select count(*)::int as n from schema_migrations')
    expect(rows[0]!.n).toBeGreaterThanOrEqual(1)
  })

  it('keeps addresses unique whatever their letter case, and stores text verbatim', async () => {
    const first = await insertSubscriber(
      db,
      { ...person("O'Brien@Example.org"), name: "Robert'); DROP TABLE subscribers;--" },
      NOW,
    )
    expect(first?.id).toBeTypeOf('number')
    expect(await insertSubscriber(db, person("o'brien@example.ORG"), NOW)).toBeUndefined()
    const found = await findSubscriberByKey(db, "o'brien@example.org")
    expect(found?.name).toBe("Robert'); DROP TABLE subscribers;--")
    expect(found?.created_at).toBeInstanceOf(Date)
  })

  it('returns counts and ids as numbers and dates as YYYY-MM-DD on both engines', async () => {
    const { rows } = await db.query<{ n: number; big: number; d: string }>(
      `select (select count(*) from subscribers) as n, 9007199254740::int8 as big, '2027-03-01'::date as d`,
    )
    expect(rows[0]).toEqual({ n: 0, big: 9007199254740, d: '2027-03-01' })
  })

  it('rolls back a transaction that throws', async () => {
    await expect(
      db.transaction(async (tx) => {
        await insertSubscriber(tx, person('rollback@example.org'), NOW)
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(await findSubscriberByKey(db, 'rollback@example.org')).toBeUndefined()
  })

  it('refuses a second row for the same email to the same person', async () => {
    const s = await insertSubscriber(db, person('once@example.org'), NOW)
    const welcome = { subscriberId: s!.id, kind: 'lesson' as const, course: 'c', item: 'welcome', dueAt: NOW }
    expect(await queueEmails(db, [welcome], NOW)).toEqual([{ id: expect.any(Number), subscriberId: s!.id }])
    expect(await queueEmails(db, [welcome], NOW)).toEqual([])
    await expect(
      db.query(
        `insert into deliveries (subscriber_id, kind, course, item, status, due_at) values ($1, 'lesson', 'c', 'welcome', 'queued', $2)`,
        [s!.id, NOW],
      ),
    ).rejects.toThrow(/unique|duplicate/i)
    // The same lesson slug in another course, or in another round of this one, is another email.
    const otherCourse = { ...welcome, course: 'd' }
    expect(await queueEmails(db, [otherCourse], NOW)).toHaveLength(1)
    expect(await queueEmails(db, [{ ...welcome, round: 2 }], NOW)).toHaveLength(1)
    // A newsletter issue (no course) is still once per person: nulls count as equal in the key.
    const issue = {
      subscriberId: s!.id,
      kind: 'newsletter' as const,
      course: null,
      item: 'autumn',
      dueAt: NOW,
    }
    expect(await queueEmails(db, [issue], NOW)).toHaveLength(1)
    await expect(
      db.query(
        `insert into deliveries (subscriber_id, kind, item, status, due_at) values ($1, 'newsletter', 'autumn', 'queued', $2)`,
        [s!.id, NOW],
      ),
    ).rejects.toThrow(/unique|duplicate/i)
  })

  it('claims due deliveries through the partial index, not by scanning the queue', async () => {
    await seedDueReaders(db, {
      count: 20_000,
      item: 'start',
      dueAt: new Date('2027-06-01T09:00:00Z'),
      prefix: 'later',
    })
    await seedDueReaders(db, { count: 10, item: 'start', dueAt: NOW, prefix: 'now' })
    await db.query('analyze deliveries')
    // The very statement claimNewBatch runs (EXPLAIN plans it without running the insert and update).
    const { text, values } = claimBatchStatement({
      workerId: 'w',
      now: NOW,
      leaseMs: 60_000,
      limit: 100,
      filter: null,
    })
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(`explain ${text}`, values)
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n')
    expect(plan).toContain('deliveries_due')
    expect(plan).not.toMatch(/Seq Scan on deliveries/)
  })

  it('claims each due delivery into exactly one batch, even when claims run side by side', async () => {
    await seedDueReaders(db, { count: 50, item: 'start', dueAt: NOW })
    const claims = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        claimNewBatch(db, { workerId: `w${i}`, now: NOW, leaseMs: 60_000, limit: 20, filter: null }),
      ),
    )
    const { rows } = await db.query<{ batch_id: number | null; n: number }>(
      `select batch_id, count(*)::int as n from deliveries group by batch_id order by batch_id`,
    )
    expect(rows.every((row) => row.batch_id !== null)).toBe(true)
    expect(rows.reduce((sum, row) => sum + row.n, 0)).toBe(50)
    expect(claims.filter(Boolean).length).toBe(rows.length)
  })
})

describe.runIf(POSTGRES_URL)('storage on a PostgreSQL server', () => {
  it('lets several processes migrate a fresh database at once', async () => {
    const schema = `mig_${randomBytes(5).toString('hex')}`
    const admin = new pg.Client({ connectionString: POSTGRES_URL! })
    await admin.connect()
    await admin.query(`create schema ${schema}`)
    const pools = Array.from({ length: 5 }, () => openPg({ connectionString: POSTGRES_URL!, schema, max: 1 }))
    try {
      const applied = await Promise.all(pools.map((db) => migrate(db)))
      // Exactly one of them applied each migration; the others found the work done.
      expect(applied.flat().sort()).toEqual(applied.find((a) => a.length > 0))
      const { rows } = await admin.query(`select count(*)::int as n from ${schema}.schema_migrations`)
      expect(rows[0].n).toBe(applied.flat().length)
    } finally {
      await Promise.all(pools.map((db) => db.close()))
      await admin.query(`drop schema ${schema} cascade`)
      await admin.end()
    }
  })
})
