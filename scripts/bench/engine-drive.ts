import { readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import type { Db } from '../../src/db/db'
import { systemClock } from '../../src/lib/clock'
import type { Mailer } from '../../src/mail/mailer'
import { createOutboxMailer } from '../../src/mail/outbox-mailer'
import { seedDueReaders } from '../../tests/helpers/seed'
import { type FakeProcess, startFakeProcess } from './fake-server'
import { compareSent } from './provider'
import {
  buildServices,
  createInstantMailer,
  createSdkMailer,
  setThrottleRate,
  stopServices,
} from './services'
import { benchConfig, type Engine, openBenchDb, TMP_DIR } from './setup'

/**
 * Where the engine hands its emails: the Maildir outbox, the real SDK to the fake Resend, or a mailer
 * in this process that answers at once and keeps nothing (the engine alone, no HTTP and no files).
 */
export type Transport = 'outbox' | 'resend' | 'instant'

/** One timed drain of the queue, and what was checked after it. */
export interface DriveResult {
  perSecond: number
  seconds: number
  batches: number
  /** CPU time of this process (the engine, the SDK, the outbox's writes) per email sent, in µs. */
  cpuPerEmailUs: number
  /** CPU time of the fake Resend's process over the run, as a share of the run's time (null: outbox). */
  fakeCpuShare: number | null
  duplicates: number
  lost: number
}

/** CPU seconds a process has used so far, from /proc (Linux, 100 ticks a second); null elsewhere. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    return Number.isFinite(ticks) ? ticks / 100 : null
  } catch {
    return null
  }
}

/** The fake Resend in its own process, with no rate limit: a provider that answers at once. */
export function startInstantResend(): Promise<FakeProcess> {
  return startFakeProcess({ rateLimitPerSecond: null, faultRate: 0, seed: 1 })
}

/** `count` addresses as seeded by {@link seedDueReaders} with this prefix. */
export function seededAddresses(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}@example.org`)
}

/**
 * Duplicates and losses among one run's readers (addresses starting with `prefix`), from the fake's
 * tally of the whole session: runs use prefixes of their own, so others' addresses are left out.
 */
export function compareRun(
  counts: ReadonlyMap<string, number>,
  prefix: string,
  count: number,
): { duplicates: number; lost: number } {
  const mine = new Map([...counts].filter(([address]) => address.startsWith(prefix)))
  const { duplicates, lost, unexpected } = compareSent(mine, seededAddresses(prefix, count))
  return { duplicates: duplicates + unexpected, lost }
}

/** Sent rows of the readers whose address starts with `prefix`, as the database recorded them. */
async function sentInDb(db: Db, prefix: string, item: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from deliveries d join subscribers s on s.id = d.subscriber_id
     where s.email_key like $1 and d.kind = 'lesson' and d.item = $2 and d.status = 'sent'`,
    [`${prefix}%`, item],
  )
  return rows[0]?.n ?? 0
}

/**
 * Times `Sender.run` sending `emails` due lessons, `runs` times (after an untimed warm-up of a few
 * batches): claim, the lesson policy's check, compose, one provider call per batch of 100, record
 * (sent, the reader moved on, the next lesson queued). The services are those `npm start` builds, with
 * its one sender, on one database for all runs; each run seeds readers of its own. The throttle is
 * lifted (10^9 requests/s), so what is left is the engine's work and the transport's: one outbox
 * folder, or one fake Resend process, for all runs (a run's emails are told apart by their addresses).
 */
export async function driveEngine(options: {
  engine: Engine
  transport: Transport
  emails: number
  runs: number
  warmUp: number
}): Promise<DriveResult[]> {
  const { engine, transport, emails } = options
  const bench = await openBenchDb(engine, `engine_${transport}`)
  const outboxRoot = path.join(TMP_DIR, `engine-outbox-${process.pid}`)
  // One fake for all runs (its tally is read after each); a new outbox folder per run.
  const fake = transport === 'resend' ? await startInstantResend() : null
  const instant = transport === 'instant' ? createInstantMailer() : null
  const mailer: Mailer =
    instant ?? (fake ? createSdkMailer(fake.url) : createOutboxMailer(outboxRoot, systemClock))
  try {
    const config = benchConfig({ SEND_BATCH_SIZE: '100', RESEND_RATE_LIMIT: '1000', OUTBOX_DIR: outboxRoot })
    const services = await buildServices({ config, db: bench.db, mailer })
    await setThrottleRate(bench.db, 1e9)
    const course = (await services.webDeps.content()).courses[0]!
    const item = course.lessons[0]!.slug
    const results: DriveResult[] = []
    for (let run = -1; run < options.runs; run++) {
      const count = run < 0 ? options.warmUp : emails
      const prefix = run < 0 ? 'warm' : `r${run}x`
      await seedDueReaders(bench.db, {
        count,
        course: course.slug,
        item,
        dueAt: new Date(Date.now() - 60_000),
        prefix,
      })
      const outboxFiles = () =>
        transport === 'outbox' ? readdirSync(path.join(outboxRoot, 'new')).length : 0
      const filesBefore = outboxFiles()
      const acceptedBefore = instant?.sent() ?? 0
      const fakeCpuBefore = fake ? processCpuSeconds(fake.pid) : null
      const cpuBefore = process.cpuUsage()
      const start = performance.now()
      const report = await services.sender.run({ budgetMs: 10 * 60_000 })
      const seconds = (performance.now() - start) / 1000
      const cpu = process.cpuUsage(cpuBefore)
      const fakeCpuAfter = fake ? processCpuSeconds(fake.pid) : null
      const recorded = await sentInDb(bench.db, prefix, item)
      let checked: { duplicates: number; lost: number }
      if (fake) checked = compareRun(new Map((await fake.report()).counts), prefix, count)
      else {
        // The outbox writes one file per email (named after its batch's key and the email's ref); the
        // instant mailer counts what it was handed.
        const delivered = instant ? instant.sent() - acceptedBefore : outboxFiles() - filesBefore
        checked = { duplicates: Math.max(0, delivered - count), lost: Math.max(0, count - delivered) }
      }
      if (run >= 0)
        results.push({
          perSecond: report.sent / seconds,
          seconds,
          batches: report.batches,
          cpuPerEmailUs: (cpu.user + cpu.system) / Math.max(1, report.sent),
          fakeCpuShare:
            fakeCpuBefore !== null && fakeCpuAfter !== null ? (fakeCpuAfter - fakeCpuBefore) / seconds : null,
          duplicates: checked.duplicates,
          lost: Math.max(checked.lost, count - recorded),
        })
    }
    await stopServices(services)
    return results
  } finally {
    await fake?.close()
    await bench.close()
    rmSync(outboxRoot, { recursive: true, force: true })
  }
}
