/**
 * The baseline of the engine benchmark: what a user would pick instead of our engine, a `pg-boss`
 * queue with one job per email. Enqueued first (timed apart), then drained by pg-boss workers that
 * compose each email as our sender does and send it through the real `resend` SDK to the same fake
 * Resend, one request per job; pg-boss completes each job.
 */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { type Job, type JobResult, PgBoss } from 'pg-boss'
import type { Content } from '../../src/content/catalog'
import { composeEmail } from '../../src/delivery/compose'
import type { Member } from '../../src/delivery/store/batches'
import { compareRun, processCpuSeconds, startInstantResend } from './engine-drive'
import { benchContent, composeSettings, createSdkMailer } from './services'
import { adminQuery, benchConfig, POSTGRES_URL } from './setup'

/** What a job carries: the reader and the lesson, as a user would enqueue them. */
interface EmailJob {
  n: number
  subscriberId: number
  email: string
  name: string
  course: string
  item: string
  createdAt: string
}

/**
 * How the baseline's workers run, tuned to be fast rather than left at pg-boss's defaults (one job
 * per fetch, a poll every 2 s): 100 jobs per fetch, fetching again at once while fetches come back
 * full, the jobs of a fetch sent side by side, each job settled on its own (`perJobResults`).
 */
export const PGBOSS_WORK = {
  batchSize: 100,
  localConcurrency: 2,
  pollingIntervalSeconds: 0.5,
  burstWhenBatchFull: true,
  perJobResults: true,
} as const

export interface PgBossResult {
  perSecond: number
  seconds: number
  enqueuePerSecond: number
  completed: number
  /** CPU time of this process (pg-boss, compose, the SDK) per email, in µs. */
  cpuPerEmailUs: number
  fakeCpuShare: number | null
  duplicates: number
  lost: number
}

/** The pg-boss version measured (shown in the row's note). */
export const PGBOSS_VERSION: string = createRequire(import.meta.url)('pg-boss/package.json').version

/** Reader n's lesson email, as the member row our sender would load for it. */
function memberOf(job: EmailJob): Member {
  return {
    id: job.n,
    kind: 'lesson',
    course: job.course,
    round: 1,
    item: job.item,
    created_at: new Date(job.createdAt),
    subscriber_id: job.subscriberId,
    email: job.email,
    name: job.name,
    timezone: 'UTC',
    status: 'confirmed',
    newsletter_opt_in: true,
  }
}

/**
 * Times pg-boss draining `emails` jobs, `runs` times after an untimed warm-up, on the bench's
 * PostgreSQL in a schema of its own (one queue per run, one fake Resend for all).
 */
export async function drivePgBoss(options: {
  emails: number
  runs: number
  warmUp: number
}): Promise<PgBossResult[]> {
  const schema = `bench_pgboss_${randomBytes(4).toString('hex')}`
  const config = benchConfig()
  const content: Content = (await benchContent(config)).current
  const course = content.courses[0]!
  const item = course.lessons[0]!.slug
  const compose = composeSettings(config)
  const boss = new PgBoss({ connectionString: POSTGRES_URL, schema, max: 10, schedule: false })
  boss.on('error', () => {})
  const fake = await startInstantResend()
  const mailer = createSdkMailer(fake.url)
  try {
    await boss.start()
    const results: PgBossResult[] = []
    for (let run = -1; run < options.runs; run++) {
      const count = run < 0 ? options.warmUp : options.emails
      const queue = run < 0 ? 'email-warm' : `email-${run}`
      const prefix = run < 0 ? 'bwarm' : `b${run}x`
      await boss.createQueue(queue)
      const createdAt = new Date().toISOString()
      const jobs = Array.from({ length: count }, (_, i) => ({
        data: {
          n: i + 1,
          subscriberId: i + 1,
          email: `${prefix}${i + 1}@example.org`,
          name: `Reader ${i + 1}`,
          course: course.slug,
          item,
          createdAt,
        } satisfies EmailJob,
      }))
      const enqueueStart = performance.now()
      for (let from = 0; from < count; from += 1000) await boss.insert(queue, jobs.slice(from, from + 1000))
      const enqueueSeconds = (performance.now() - enqueueStart) / 1000

      let handled = 0
      const fakeCpuBefore = processCpuSeconds(fake.pid)
      const cpuBefore = process.cpuUsage()
      const start = performance.now()
      await boss.work(queue, PGBOSS_WORK, async (batch: Job<EmailJob>[]) => {
        const settled = await Promise.all(
          batch.map(async (job): Promise<JobResult> => {
            const email = composeEmail(memberOf(job.data), content, compose)
            if (!email) return { id: job.id, status: 'failed', output: { error: 'no content' } }
            const sent = await mailer.send(email, { idempotencyKey: `job-${job.id}` })
            return sent.ok
              ? { id: job.id, status: 'completed', output: { providerId: sent.providerId } }
              : { id: job.id, status: 'failed', output: { error: sent.message } }
          }),
        )
        handled += batch.length
        return settled
      })
      // Done when pg-boss has completed every job (its own statement, after the handler returns).
      let completed = 0
      for (const giveUp = start + 600_000; ; ) {
        if (performance.now() > giveUp)
          throw new Error(`pg-boss completed ${completed} of ${count} jobs in 10 minutes`)
        if (handled >= count) {
          const rows = await adminQuery<{ n: number }>(
            `select count(*)::int as n from "${schema}".job where name = '${queue}' and state = 'completed'`,
          )
          completed = rows[0]?.n ?? 0
          if (completed >= count) break
        }
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      const seconds = (performance.now() - start) / 1000
      const cpu = process.cpuUsage(cpuBefore)
      const fakeCpuAfter = processCpuSeconds(fake.pid)
      await boss.offWork(queue, { wait: true })
      const compared = compareRun(new Map((await fake.report()).counts), prefix, count)
      if (run >= 0)
        results.push({
          perSecond: completed / seconds,
          seconds,
          enqueuePerSecond: count / enqueueSeconds,
          completed,
          cpuPerEmailUs: (cpu.user + cpu.system) / Math.max(1, completed),
          fakeCpuShare:
            fakeCpuBefore !== null && fakeCpuAfter !== null ? (fakeCpuAfter - fakeCpuBefore) / seconds : null,
          duplicates: compared.duplicates,
          lost: compared.lost,
        })
    }
    return results
  } finally {
    await boss.stop({ graceful: false, close: true }).catch(() => {})
    await fake.close()
    await adminQuery(`drop schema if exists "${schema}" cascade`)
  }
}
