import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../src/db/db'
import { POSTGRES_URL, postgresSchemaForProcesses } from '../helpers/db'
import { startFakeResend } from '../helpers/fake-resend'
import { FIXTURES } from '../helpers/harness'
import { readOutbox } from '../helpers/outbox'
import { freePort, runCliProcess, type Spawned, spawnTs, waitForHttp } from '../helpers/process'
import { seedDueReaders } from '../helpers/seed'

/**
 * Ends every connection the process under test holds, as a database restart or a failover would.
 * The process is told its own application_name through the URL, so connections of other tests that
 * share this PostgreSQL server are left alone.
 */
async function terminateConnections(appName: string): Promise<number> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL! })
  await admin.connect()
  try {
    const { rows } = await admin.query<{ n: number }>(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
       where application_name = $1 and pid <> pg_backend_pid()`,
      [appName],
    )
    return rows[0]?.n ?? 0
  } finally {
    await admin.end()
  }
}

async function until(check: () => Promise<boolean>, what: string, proc: Spawned, ms = 90_000) {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (proc.child.exitCode !== null)
      throw new Error(`process exited (${proc.child.exitCode}) while waiting for ${what}:\n${proc.output()}`)
    if (Date.now() > deadline) throw new Error(`timed out: ${what}\n${proc.output().slice(-4000)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A spawned server on a busy machine: start-up alone can take most of the default minute. */
const PROCESS_TEST_TIMEOUT = 180_000

describe.runIf(POSTGRES_URL)('lost database connections on PostgreSQL', () => {
  let dir: string
  let schema: Awaited<ReturnType<typeof postgresSchemaForProcesses>>
  let db: Db
  let appName: string
  let env: Record<string, string>

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'course-dbfault-'))
    schema = await postgresSchemaForProcesses()
    db = schema.db
    appName = `dbfault-${process.pid}-${Date.now()}`
    const port = await freePort()
    env = {
      DATABASE_URL: `${schema.url}&application_name=${appName}`,
      DATA_DIR: path.join(dir, 'data'),
      OUTBOX_DIR: path.join(dir, 'outbox'),
      LESSONS_DIR: path.join(FIXTURES, 'lessons-short'),
      NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
      PORT: String(port),
      BASE_URL: `http://127.0.0.1:${port}`,
      SECRET: 'db-fault-secret-db-fault-secret-0123456',
      SUBSCRIBE_RATE_LIMIT: '100000',
      TICK_CRON: '0 0 1 1 *',
      LEASE_SECONDS: '10',
    }
  })
  afterEach(async () => {
    await schema.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it(
    'answers 503 for the requests in flight, keeps running, and loses no signup it accepted',
    async () => {
      const server = spawnTs('src/main.ts', [], env)
      try {
        await waitForHttp(`${env.BASE_URL}/healthz`)
        const accepted: string[] = []
        const statuses = new Map<number, number>()
        let next = 0
        const signup = async () => {
          const email = `burst${next++}@example.org`
          // A dropped connection counts as status 0: the test then fails with the server's output.
          const status = await fetch(`${env.BASE_URL}/subscribe`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: `email=${encodeURIComponent(email)}`,
            redirect: 'manual',
          }).then(
            (response) => response.status,
            () => 0,
          )
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
          if (status === 303) accepted.push(email)
        }
        // A burst of signups, ten at a time, with every connection cut three times while it runs.
        let cuts = 0
        const burst = (async () => {
          for (let round = 0; round < 40; round++) await Promise.all(Array.from({ length: 10 }, signup))
        })()
        while (cuts < 3) {
          await new Promise((resolve) => setTimeout(resolve, 150))
          if ((await terminateConnections(appName)) > 0) cuts++
        }
        await burst
        expect(server.child.exitCode, server.output()).toBeNull()
        expect(
          [...statuses.keys()].filter((status) => status !== 303 && status !== 503),
          `${JSON.stringify([...statuses])}\n${server.output().slice(-4000)}`,
        ).toEqual([])
        // The pool reconnects: the next request works, and so does the health check.
        await signup()
        expect(accepted).toContain(`burst${next - 1}@example.org`)
        expect((await fetch(`${env.BASE_URL}/healthz`)).status).toBe(200)
        const { rows } = await db.query<{ email: string }>('select email from subscribers')
        const stored = new Set(rows.map((row) => row.email))
        for (const email of accepted) expect(stored.has(email), email).toBe(true)
        expect(server.output()).not.toMatch(/Unhandled 'error' event|uncaught/i)
      } finally {
        server.child.kill('SIGKILL')
        await server.exited
      }
    },
    PROCESS_TEST_TIMEOUT,
  )

  it(
    "ends a worker's tick cleanly when its connections are cut mid-send, and the next ticks send everything once",
    async () => {
      await seedDueReaders(db, { count: 600, item: 'start', dueAt: new Date(Date.now() - 60_000) })
      const worker = spawnTs('src/cli.ts', ['worker'], {
        ...env,
        TICK_CRON: '* * * * * *',
        SEND_BATCH_SIZE: '20',
        RESEND_RATE_LIMIT: '1000',
      })
      try {
        const sent = async () => {
          const { rows } = await db.query<{ n: number }>(
            `select count(*)::int as n from deliveries where item = 'start' and status = 'sent'`,
          )
          return rows[0]!.n
        }
        await until(async () => (await sent()) > 0, 'the first batch', worker)
        for (let cut = 0; cut < 3; cut++) {
          await terminateConnections(appName)
          await new Promise((resolve) => setTimeout(resolve, 200))
        }
        await until(async () => (await sent()) === 600, 'every lesson sent', worker)
        expect(worker.child.exitCode, worker.output()).toBeNull()
        const messages = await readOutbox(env.OUTBOX_DIR!)
        const perAddress = new Map<string, number>()
        for (const message of messages) perAddress.set(message.to, (perAddress.get(message.to) ?? 0) + 1)
        expect(perAddress.size).toBe(600)
        expect([...perAddress.values()].every((n) => n === 1)).toBe(true)
        expect(worker.output()).not.toMatch(/Unhandled 'error' event/)
      } finally {
        worker.child.kill('SIGKILL')
        await worker.exited
      }
    },
    PROCESS_TEST_TIMEOUT,
  )

  it(
    'lets course run-due end with one clear line when its connections are cut',
    async () => {
      await seedDueReaders(db, { count: 100, item: 'start', dueAt: new Date(Date.now() - 60_000) })
      // Each provider call takes 200 ms, so the run lasts seconds and the cut lands in the middle of it.
      const fake = await startFakeResend()
      fake.inject({ fault: { type: 'delay', ms: 200 }, times: 1000 })
      try {
        const run = runCliProcess(['run-due'], {
          ...env,
          RESEND_API_KEY: 're_test',
          RESEND_BASE_URL: fake.url,
          SEND_BATCH_SIZE: '5',
          RESEND_RATE_LIMIT: '1000',
        })
        await until(async () => fake.sent.length > 0, 'the first send', {
          child: { exitCode: null },
        } as Spawned)
        const cut = await terminateConnections(appName)
        const { code, output } = await run
        expect(cut).toBeGreaterThan(0)
        expect(output).not.toMatch(/Unhandled 'error' event|\n\s+at /)
        // Idle connections are replaced without a trace (exit 0, all sent); a statement in flight ends the
        // run with one line (exit 1), and what it did not send waits for the next run.
        if (code === 0) {
          const { rows } = await db.query<{ n: number }>(
            `select count(*)::int as n from deliveries where item = 'start' and status = 'sent'`,
          )
          expect(rows[0]!.n).toBe(100)
        } else {
          expect(code, output).toBe(1)
          expect(output).toMatch(
            /course run-due: the database connection was lost.*Run the command again once it is/,
          )
        }
        expect(new Set(fake.sent.map((email) => email.to[0])).size).toBe(fake.sent.length)
      } finally {
        await fake.close()
      }
    },
    PROCESS_TEST_TIMEOUT,
  )
})
