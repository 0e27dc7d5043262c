import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { migrate } from '../../src/db/migrate'
import { openDatabase } from '../../src/db/open'
import { silentLogger } from '../../src/lib/logger'
import { POSTGRES_URL, postgresSchemaForProcesses } from '../helpers/db'
import { type FakeResend, startFakeResend } from '../helpers/fake-resend'
import { FIXTURES } from '../helpers/harness'
import { type Spawned, spawnTs } from '../helpers/process'
import { deliveryStates, seedDueReaders } from '../helpers/seed'

const DUE = new Date(Date.now() - 60_000)

function workerEnv(fake: FakeResend, extra: Record<string, string>): Record<string, string> {
  return {
    RESEND_API_KEY: 're_test',
    RESEND_BASE_URL: fake.url,
    RESEND_RATE_LIMIT: '200',
    LESSONS_DIR: path.join(FIXTURES, 'lessons-short'),
    NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
    SECRET: 'worker-test-secret-worker-test-secret-00',
    BASE_URL: 'https://course.example.org',
    MAIL_FROM: 'Course <course@mail.example.org>',
    TICK_CRON: '* * * * * *', // every second
    LOG_LEVEL: 'info',
    ...extra,
  }
}

/** Every seeded address got lesson `start` exactly once at the provider. */
function countsPerAddress(fake: FakeResend): Map<string, number> {
  const counts = new Map<string, number>()
  for (const email of fake.sent) {
    if (!email.tags.some((t) => t.name === 'lesson' && t.value === 'start')) continue
    counts.set(email.to[0]!, (counts.get(email.to[0]!) ?? 0) + 1)
  }
  return counts
}

async function waitUntil(
  check: () => Promise<boolean>,
  ms: number,
  what: string,
  workers: Spawned[],
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out: ${what}\n${workers.map((w) => w.output().slice(-3000)).join('\n---\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

let fake: FakeResend
beforeAll(async () => {
  fake = await startFakeResend()
})
afterAll(async () => {
  await fake.close()
})

describe.runIf(POSTGRES_URL)('several workers on PostgreSQL', () => {
  it('sends every (subscriber, lesson) exactly once with 3 workers and 2,000 due readers', async () => {
    fake.reset()
    const { url, db, drop } = await postgresSchemaForProcesses()
    const workers: Spawned[] = []
    try {
      await seedDueReaders(db, { count: 2000, item: 'start', dueAt: DUE })
      for (let i = 0; i < 3; i++) {
        workers.push(
          spawnTs(
            'src/cli.ts',
            ['worker'],
            workerEnv(fake, { DATABASE_URL: url, SEND_BATCH_SIZE: '25', WORKER_ID: `worker-${i}` }),
          ),
        )
      }
      await waitUntil(
        async () => (await deliveryStates(db, 'lesson', 'start')).sent === 2000,
        120_000,
        'all 2,000 sent',
        workers,
      )
      const counts = countsPerAddress(fake)
      expect(counts.size).toBe(2000)
      expect([...counts.values()].every((n) => n === 1)).toBe(true)
      const { rows } = await db.query<{ created_by: string }>('select distinct created_by from send_batches')
      expect(rows.length).toBeGreaterThan(1) // the work really was shared
    } finally {
      for (const worker of workers) worker.child.kill('SIGKILL')
      await drop()
    }
  }, 180_000)
})

describe.runIf(POSTGRES_URL)('several workers on PostgreSQL, two courses', () => {
  it('sends each reader of both courses one lesson today and moves the other to tomorrow, with 3 workers racing', async () => {
    fake.reset()
    const { url, db, drop } = await postgresSchemaForProcesses()
    const workers: Spawned[] = []
    const READERS = 600
    try {
      // Every reader is in both courses, with day 0 of each due now: two lessons, one local day. In
      // claim order, a block of 25 readers' first lessons comes right before the same readers' second
      // ones, so the two lessons of one reader land in two batches that two workers claim at once.
      await seedDueReaders(db, { count: READERS, item: 'start', dueAt: DUE })
      await db.query(
        `insert into enrolments (subscriber_id, course, status, anchor_date)
         select id, 'follow-up', 'active', $1::date from subscribers`,
        [DUE.toISOString().slice(0, 10)],
      )
      await db.query('delete from deliveries')
      await db.query(
        `insert into deliveries (subscriber_id, kind, course, item, status, due_at)
         select s.id, 'lesson', c.course, c.item, 'queued', $1
         from subscribers s cross join (values ('short', 'start', 0), ('follow-up', 'hello', 1)) as c (course, item, k)
         order by (s.id - 1) / 25, c.k, s.id`,
        [DUE],
      )
      for (let i = 0; i < 3; i++) {
        workers.push(
          spawnTs(
            'src/cli.ts',
            ['worker'],
            workerEnv(fake, {
              DATABASE_URL: url,
              LESSONS_DIR: path.join(FIXTURES, 'lessons-two'),
              SEND_BATCH_SIZE: '25',
              WORKER_ID: `worker-${i}`,
            }),
          ),
        )
      }
      const decided = async () => {
        const { rows } = await db.query<{ n: number }>(
          `select count(*)::int as n from deliveries where kind = 'lesson' and status = 'sent'`,
        )
        const { rows: left } = await db.query<{ n: number }>(
          `select count(*)::int as n from deliveries where kind = 'lesson' and due_at <= now()
             and status in ('queued', 'claimed')`,
        )
        return rows[0]!.n === READERS && left[0]!.n === 0
      }
      await waitUntil(decided, 120_000, `${READERS} lessons sent, the rest moved on`, workers)
      // At the provider: one lesson per reader, whichever course's came first.
      const perReader = new Map<string, number>()
      for (const email of fake.sent)
        if (email.tags.some((t) => t.name === 'kind' && t.value === 'lesson'))
          perReader.set(email.to[0]!, (perReader.get(email.to[0]!) ?? 0) + 1)
      expect(perReader.size).toBe(READERS)
      expect([...perReader.values()].every((n) => n === 1)).toBe(true)
      // In the database: each reader's other day 0 lesson waits for the next day's send hour (09:00
      // UTC), and the next lesson of the course whose lesson went is planned.
      const { rows } = await db.query<{ sent: number; day0_waiting: number; next_day: boolean }>(
        `select count(*) filter (where d.status = 'sent')::int as sent,
                count(*) filter (where d.status = 'queued' and d.item in ('start', 'hello'))::int as day0_waiting,
                bool_and(d.status <> 'queued' or d.item not in ('start', 'hello')
                  or d.due_at = ((s.sent_on + 1)::timestamp + interval '9 hours') at time zone 'UTC') as next_day
         from deliveries d
         join (select subscriber_id, min(sent_at at time zone 'UTC')::date as sent_on from deliveries
               where status = 'sent' group by subscriber_id) s on s.subscriber_id = d.subscriber_id
         where d.kind = 'lesson'
         group by d.subscriber_id`,
      )
      expect(rows).toHaveLength(READERS)
      const odd = rows.filter((r) => !(r.sent === 1 && r.day0_waiting === 1 && r.next_day))
      expect(odd).toEqual([])
      const { rows: shared } = await db.query('select distinct created_by from send_batches')
      expect(shared.length).toBeGreaterThan(1)
    } finally {
      for (const worker of workers) worker.child.kill('SIGKILL')
      await drop()
    }
  }, 180_000)
})

describe('a worker killed mid-batch', () => {
  it.each(POSTGRES_URL ? ['postgres', 'pglite'] : ['pglite'])(
    'is replaced by another that re-sends the same batch under the same key: no duplicate, no loss (%s)',
    async (engine) => {
      fake.reset()
      const dir = mkdtempSync(path.join(tmpdir(), 'course-kill-'))
      const pgSchema = engine === 'postgres' ? await postgresSchemaForProcesses() : null
      const dbEnv: Record<string, string> = pgSchema
        ? { DATABASE_URL: pgSchema.url }
        : { DATA_DIR: path.join(dir, 'data') }
      const open = async () => {
        if (pgSchema) return { db: pgSchema.db, close: async () => {} }
        const opened = await openDatabase(loadConfig({ ...dbEnv, NODE_ENV: 'test' }), {
          role: 'test',
          serve: false,
          logger: silentLogger,
        })
        await migrate(opened.db)
        return opened
      }
      const workers: Spawned[] = []
      try {
        const seeding = await open()
        await seedDueReaders(seeding.db, { count: 30, item: 'start', dueAt: DUE })
        await seeding.close()
        // The first batch is accepted by the provider only after 3 s: the worker is killed while it waits.
        fake.inject({ fault: { type: 'delay', ms: 3000 }, times: 1 })
        const first = spawnTs(
          'src/cli.ts',
          ['worker'],
          workerEnv(fake, { ...dbEnv, SEND_BATCH_SIZE: '10', LEASE_SECONDS: '10', WORKER_ID: 'first' }),
        )
        workers.push(first)
        await first.waitFor(/scheduler running/, 60_000)
        // Wait until the first batch's request is held by the provider: the worker is mid-call.
        const deadline = Date.now() + 30_000
        while (fake.inFlightCount() === 0 && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 20))
        expect(fake.inFlightCount()).toBe(1)
        first.child.kill('SIGKILL')
        await first.exited
        // The provider still accepts the batch whose sender died.
        await waitUntil(async () => fake.inFlightCount() === 0, 30_000, 'the held request to end', workers)

        const second = spawnTs(
          'src/cli.ts',
          ['worker'],
          workerEnv(fake, { ...dbEnv, SEND_BATCH_SIZE: '10', LEASE_SECONDS: '10', WORKER_ID: 'second' }),
        )
        workers.push(second)
        // Up before anything looks at the data folder: on PGlite the checks below then go through its
        // socket, instead of holding the folder while it starts (the first worker had every batch in
        // flight, so all 30 may be at the provider already).
        await second.waitFor(/scheduler running/, 60_000)
        await waitUntil(
          async () => countsPerAddress(fake).size === 30,
          60_000,
          'all 30 at the provider',
          workers,
        )
        // After the first worker's lease, the second takes its batch over and re-sends it under its key.
        await waitUntil(
          async () => {
            const check = await open()
            try {
              const { rows } = await check.db.query<{ n: number }>(
                'select count(*)::int as n from send_batches where completed_at is null',
              )
              return rows[0]!.n === 0
            } finally {
              await check.close()
            }
          },
          60_000,
          "the killed worker's batch taken over and completed",
          workers,
        )
        second.child.kill('SIGTERM')
        expect(await second.exited).toBe(0)

        const counts = countsPerAddress(fake)
        expect(counts.size).toBe(30)
        expect([...counts.values()].every((n) => n === 1)).toBe(true)
        // The killed worker's batch went to the provider twice, under one key: replayed, not re-sent.
        const keys = fake.requests.map((r) => r.idempotencyKey)
        expect(keys.some((key, i) => keys.indexOf(key) !== i)).toBe(true)
        const check = await open()
        try {
          expect(await deliveryStates(check.db, 'lesson', 'start')).toEqual({ sent: 30 })
          const { rows } = await check.db.query<{ n: number }>(
            'select count(*)::int as n from send_batches where completed_at is null',
          )
          expect(rows[0]!.n).toBe(0)
        } finally {
          await check.close()
        }
      } finally {
        for (const worker of workers) worker.child.kill('SIGKILL')
        await pgSchema?.drop()
        rmSync(dir, { recursive: true, force: true })
      }
    },
    180_000,
  )
})

describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s stops claiming, finishes the batch in flight, closes the database and exits 0',
    async (signal) => {
      fake.reset()
      const dir = mkdtempSync(path.join(tmpdir(), 'course-term-'))
      const dbEnv = { DATA_DIR: path.join(dir, 'data') }
      const config = loadConfig({ ...dbEnv, NODE_ENV: 'test' })
      try {
        const seeding = await openDatabase(config, { role: 'test', serve: false, logger: silentLogger })
        await seedDueReaders(seeding.db, { count: 40, item: 'start', dueAt: DUE })
        await seeding.close()
        fake.inject({ fault: { type: 'delay', ms: 2000 }, times: 1 })
        const worker = spawnTs('src/cli.ts', ['worker'], workerEnv(fake, { ...dbEnv, SEND_BATCH_SIZE: '10' }))
        await worker.waitFor(/scheduler running/, 60_000)
        const deadline = Date.now() + 30_000
        // The signal comes while the first batch's request is held by the provider (the batch in flight).
        while (fake.inFlightCount() === 0 && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 20))
        expect(fake.inFlightCount()).toBe(1)
        worker.child.kill(signal)
        expect(await worker.exited).toBe(0)
        expect(worker.output()).toContain(signal)
        expect(worker.output()).toContain('stopped')
        const check = await openDatabase(config, { role: 'test', serve: false, logger: silentLogger })
        try {
          const states = await deliveryStates(check.db, 'lesson', 'start')
          // The batch in flight was finished and recorded; any other claimed batch was handed back
          // (no worker holds it), so another worker takes it at once. Nothing is lost.
          expect(states.sent).toBeGreaterThanOrEqual(10)
          expect((states.sent ?? 0) + (states.queued ?? 0) + (states.claimed ?? 0)).toBe(40)
          const held = await check.db.query<{ n: number }>(
            'select count(*)::int as n from send_batches where completed_at is null and locked_by is not null',
          )
          expect(held.rows[0]!.n).toBe(0)
          expect(countsPerAddress(fake).size).toBe(states.sent)
        } finally {
          await check.close()
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
    120_000,
  )
})
