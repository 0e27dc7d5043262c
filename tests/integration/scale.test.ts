import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POSTGRES_URL, postgresSchemaForProcesses } from '../helpers/db'
import { type FakeResend, startFakeResend } from '../helpers/fake-resend'
import { FIXTURES } from '../helpers/harness'
import { freePort, type Spawned, spawnTs, waitForHttp } from '../helpers/process'
import { deliveryStates, seedDueReaders } from '../helpers/seed'
import { confirmFieldsIn } from '../helpers/web'

describe.runIf(POSTGRES_URL)('running at scale on PostgreSQL', () => {
  let fake: FakeResend
  beforeAll(async () => {
    fake = await startFakeResend()
  })
  afterAll(async () => {
    await fake.close()
  })

  it('3 workers and 2 web servers: signups through both servers while workers send, everything exactly once', async () => {
    const { url, db, drop } = await postgresSchemaForProcesses()
    const processes: Spawned[] = []
    try {
      await seedDueReaders(db, {
        count: 500,
        item: 'start',
        dueAt: new Date(Date.now() - 60_000),
        prefix: 'seeded',
      })
      const ports = [await freePort(), await freePort()]
      const common = {
        DATABASE_URL: url,
        RESEND_API_KEY: 're_test',
        RESEND_BASE_URL: fake.url,
        RESEND_RATE_LIMIT: '100',
        LESSONS_DIR: path.join(FIXTURES, 'lessons-short'),
        NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
        SECRET: 'scale-test-secret-scale-test-secret-0000',
        BASE_URL: 'https://course.example.org',
        MAIL_FROM: 'Course <course@mail.example.org>',
        TICK_CRON: '* * * * * *',
        SEND_BATCH_SIZE: '20',
        SUBSCRIBE_RATE_LIMIT: '10000',
        LOG_LEVEL: 'warn',
      }
      for (const [i, port] of ports.entries()) {
        processes.push(
          spawnTs('src/cli.ts', ['web'], { ...common, PORT: String(port), WORKER_ID: `web-${i}` }),
        )
      }
      for (let i = 0; i < 3; i++)
        processes.push(spawnTs('src/cli.ts', ['worker'], { ...common, WORKER_ID: `worker-${i}` }))
      await Promise.all(ports.map((port) => waitForHttp(`http://127.0.0.1:${port}/healthz`)))

      const web = (i: number) => `http://127.0.0.1:${ports[i % 2]}`
      const post = (i: number, route: string, body: string) =>
        fetch(`${web(i)}${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
          redirect: 'manual',
        })
      const readers = Array.from({ length: 60 }, (_, i) => `scale${i}@example.org`)
      const signups = await Promise.all(
        readers.map((email, i) => post(i, '/subscribe', `email=${encodeURIComponent(email)}`)),
      )
      expect(signups.every((r) => r.status === 303)).toBe(true)

      const waitFor = async (what: string, check: () => boolean | Promise<boolean>) => {
        const deadline = Date.now() + 90_000
        while (!(await check())) {
          if (Date.now() > deadline)
            throw new Error(
              `timed out: ${what}\n${processes.map((p) => p.output().slice(-1500)).join('\n---\n')}`,
            )
          await new Promise((resolve) => setTimeout(resolve, 200))
        }
      }
      const confirmations = () => fake.sent.filter((e) => e.subject.startsWith('Confirm'))
      await waitFor('60 confirmation emails', () => confirmations().length >= 60)
      // Confirm through the other server than the one used to sign up.
      const confirmed = await Promise.all(
        confirmations().map((email, i) => {
          return post(i + 1, '/confirm', new URLSearchParams(confirmFieldsIn(email.html!)).toString())
        }),
      )
      expect(confirmed.every((r) => r.status === 200)).toBe(true)
      await waitFor(
        'every first lesson sent',
        async () => (await deliveryStates(db, 'lesson', 'start')).sent === 560,
      )

      const perEmail = new Map<string, number>()
      for (const email of fake.sent) {
        const item = email.tags.find((t) => t.name === 'lesson' || t.name === 'item')?.value
        const key = `${email.to[0]}|${item}`
        perEmail.set(key, (perEmail.get(key) ?? 0) + 1)
      }
      expect([...perEmail.values()].every((n) => n === 1)).toBe(true)
      expect(
        fake.sent.filter((e) => e.tags.some((t) => t.name === 'lesson' && t.value === 'start')),
      ).toHaveLength(560)
      expect(confirmations()).toHaveLength(60)
      const { rows } = await db.query<{ created_by: string }>(
        'select distinct created_by from send_batches order by 1',
      )
      // Web servers sent the confirmations and first lessons right away; workers shared the backlog.
      expect(rows.map((r) => r.created_by.replace(/-\d+$/, ''))).toEqual(
        expect.arrayContaining(['web', 'worker']),
      )
      const { rows: subs } = await db.query<{ n: number }>(
        `select count(*)::int as n from subscribers where status = 'confirmed'`,
      )
      expect(subs[0]!.n).toBe(560)
    } finally {
      for (const p of processes) p.child.kill('SIGKILL')
      await drop()
    }
  }, 180_000)
})
