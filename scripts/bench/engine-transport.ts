import { rmSync } from 'node:fs'
import path from 'node:path'
import { composeEmail } from '../../src/delivery/compose'
import { BATCHES_IN_FLIGHT } from '../../src/delivery/sender'
import type { Member } from '../../src/delivery/store/batches'
import { systemClock } from '../../src/lib/clock'
import type { Mailer, OutgoingEmail } from '../../src/mail/mailer'
import { createOutboxMailer } from '../../src/mail/outbox-mailer'
import { processCpuSeconds, startInstantResend } from './engine-drive'
import { benchContent, composeSettings, createSdkMailer } from './services'
import { benchConfig, TMP_DIR } from './setup'

/** One timed run of a transport alone. */
export interface TransportResult {
  perSecond: number
  seconds: number
  cpuPerEmailUs: number
  fakeCpuShare: number | null
}

const BATCH = 100

/**
 * The transport alone, without the engine: the emails an engine run sends (the first lesson of the
 * first course, composed for each reader as the sender composes them, beforehand and untimed), handed
 * to the same mailer in calls of 100, {@link BATCHES_IN_FLIGHT} calls at a time as the sender makes
 * them. No database, no claim, no policy, no record: what is left is the transport's own cost (the
 * outbox: MIME and one file per email on this disk; the SDK: JSON, HTTP and the fake's answer), the
 * ceiling an engine row can be read against.
 */
export async function driveTransport(options: {
  transport: 'outbox' | 'resend'
  emails: number
  runs: number
  warmUp: number
}): Promise<TransportResult[]> {
  const config = benchConfig()
  const content = (await benchContent(config)).current
  const course = content.courses[0]!
  const item = course.lessons[0]!.slug
  const compose = composeSettings(config)
  const outboxDir = path.join(TMP_DIR, `transport-outbox-${process.pid}`)
  const fake = options.transport === 'resend' ? await startInstantResend() : null
  const mailer: Mailer = fake ? createSdkMailer(fake.url) : createOutboxMailer(outboxDir, systemClock)
  const emailsFor = (prefix: string, count: number): OutgoingEmail[] =>
    Array.from({ length: count }, (_, i) => {
      const member: Member = {
        id: i + 1,
        kind: 'lesson',
        course: course.slug,
        round: 1,
        item,
        created_at: new Date(),
        subscriber_id: i + 1,
        email: `${prefix}${i + 1}@example.org`,
        name: 'Bench Reader',
        timezone: 'UTC',
        status: 'confirmed',
        newsletter_opt_in: true,
      }
      return composeEmail(member, content, compose) as OutgoingEmail
    })
  try {
    const results: TransportResult[] = []
    for (let run = -1; run < options.runs; run++) {
      const emails = emailsFor(run < 0 ? 'tw' : `t${run}x`, run < 0 ? options.warmUp : options.emails)
      const calls: OutgoingEmail[][] = []
      for (let i = 0; i < emails.length; i += BATCH) calls.push(emails.slice(i, i + BATCH))
      const fakeBefore = fake ? processCpuSeconds(fake.pid) : null
      const cpuBefore = process.cpuUsage()
      const start = performance.now()
      let next = 0
      await Promise.all(
        Array.from({ length: BATCHES_IN_FLIGHT }, async () => {
          while (next < calls.length) {
            const index = next++
            const result = await mailer.sendBatch(calls[index]!, {
              idempotencyKey: `transport-${run}-${index}`,
            })
            if (!result.ok) throw new Error(`the transport refused a call: ${result.message}`)
          }
        }),
      )
      const seconds = (performance.now() - start) / 1000
      const cpu = process.cpuUsage(cpuBefore)
      const fakeAfter = fake ? processCpuSeconds(fake.pid) : null
      if (run >= 0)
        results.push({
          perSecond: emails.length / seconds,
          seconds,
          cpuPerEmailUs: (cpu.user + cpu.system) / emails.length,
          fakeCpuShare: fakeBefore !== null && fakeAfter !== null ? (fakeAfter - fakeBefore) / seconds : null,
        })
    }
    return results
  } finally {
    await fake?.close()
    rmSync(outboxDir, { recursive: true, force: true })
  }
}
