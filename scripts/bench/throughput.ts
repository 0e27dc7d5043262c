import { RATE_MARGIN } from '../../src/delivery/throttle'
import { deliveryStates, seedDueReaders } from '../../tests/helpers/seed'
import type { BenchContext } from './context'
import { startFakeProcess } from './fake-server'
import { compareSent, LeaseClock } from './provider'
import { median, type Row, repeat } from './report'
import { buildServices, createSdkMailer, stopServices } from './services'
import { benchConfig, openBenchDb } from './setup'

const RATE = 5
const BATCH = 100
const IDEAL = RATE * BATCH
/** Retries are never given up in the bench: a failed email would read as "lost" when it was only unlucky. */
const MAX_ATTEMPTS = 50

/** One way of running the delivery: the share of requests the fake answers 500. */
interface Variant {
  label: string
  faultRate: number
}

const VARIANTS: Variant[] = [
  { label: 'no faults', faultRate: 0 },
  { label: '1% 5xx', faultRate: 0.01 },
]

interface RunResult {
  perSecond: number
  requests: number
  count429: number
  count5xx: number
  duplicates: number
  lost: number
  unexpected: number
  notSentInDb: number
  skippedSeconds: number
}

/** One full delivery of `emails` due lessons through the real SDK to the fake, on the real clock. */
async function deliver(variant: Variant, emails: number, seed: number): Promise<RunResult> {
  const fake = await startFakeProcess({ rateLimitPerSecond: RATE, faultRate: variant.faultRate, seed })
  const bench = await openBenchDb('pglite', 'throughput')
  try {
    const config = benchConfig({
      RESEND_RATE_LIMIT: String(RATE),
      SEND_BATCH_SIZE: String(BATCH),
      MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    })
    const leaseClock = new LeaseClock()
    const services = await buildServices({
      config,
      db: bench.db,
      mailer: createSdkMailer(fake.url),
      realClock: leaseClock,
    })
    const course = (await services.webDeps.content()).courses[0]!
    const item = course.lessons[0]!.slug
    // A tick with nothing due, untimed, as a server that was running when the lessons came due: a new
    // database's first tick records the courses' lesson plan, and with readers seeded beside it that
    // first record checks every waiting lesson against the plan (about 4 s for 20,000 on PGlite).
    await services.tick()
    await seedDueReaders(bench.db, {
      count: emails,
      course: course.slug,
      item,
      dueAt: new Date(Date.now() - 60_000),
      prefix: 'r',
    })
    const start = performance.now()
    for (let ticks = 0; ticks < 1000; ticks++) {
      await services.tick()
      const states = await deliveryStates(bench.db, 'lesson', item)
      if (!states.queued && !states.claimed) break
      // Only retries are left, waiting for their backoff: move the lease clock to the first one.
      const { rows } = await bench.db.query<{ next: Date | null }>(
        'select min(lease_until) as next from send_batches where completed_at is null',
      )
      if (rows[0]?.next) leaseClock.skipTo(rows[0].next)
    }
    const seconds = (performance.now() - start) / 1000
    await stopServices(services)
    const report = await fake.report()
    const expected = Array.from({ length: emails }, (_, i) => `r${i + 1}@example.org`)
    const compared = compareSent(new Map(report.counts), expected)
    const states = await deliveryStates(bench.db, 'lesson', item)
    return {
      perSecond: compared.accepted / seconds,
      requests: report.requests,
      count429: report.count429,
      count5xx: report.count5xx,
      duplicates: compared.duplicates,
      lost: compared.lost,
      unexpected: compared.unexpected,
      notSentInDb: emails - (states.sent ?? 0),
      skippedSeconds: leaseClock.skippedMs / 1000,
    }
  } finally {
    await bench.close()
    await fake.close()
  }
}

function rowsFor(variant: Variant, emails: number, runs: RunResult[]): Row[] {
  const group = `3. Delivery throughput, ${emails.toLocaleString('en-US')} emails, ${variant.label}`
  const achieved = median(runs.map((r) => r.perSecond))
  const total = (pick: (r: RunResult) => number) => runs.reduce((sum, r) => sum + pick(r), 0)
  const notes = [
    `PGlite, real resend SDK -> fake Resend in its own process (${RATE} req/s, batches of ${BATCH}), RESEND_RATE_LIMIT=${RATE} (the throttle paces at ${RATE_MARGIN * 100}% of it)`,
    `requests per run: ${runs.map((r) => r.requests).join(', ')}`,
  ]
  const skipped = runs.map((r) => r.skippedSeconds)
  if (variant.faultRate > 0)
    notes.push(
      `a 5xx is retried after a backoff of 15 s or more; when only such retries were left, the lease clock jumped to them, skipping per run: ${skipped.map((s) => `${s.toFixed(1)} s`).join(', ')} (not counted in the time)`,
    )
  if (total((r) => r.unexpected) > 0)
    notes.push(`WARNING: ${total((r) => r.unexpected)} emails to unexpected addresses`)
  if (total((r) => r.notSentInDb) > 0)
    notes.push(`WARNING: ${total((r) => r.notSentInDb)} deliveries not 'sent' in the database`)
  const n = runs.length
  return [
    {
      group,
      figure: 'achieved',
      value: achieved,
      unit: 'emails/s',
      baseline: { label: 'ideal', value: IDEAL, unit: 'emails/s' },
      runs: n,
      note: notes.join('; '),
    },
    {
      group,
      figure: 'utilization (achieved / ideal)',
      value: achieved / IDEAL,
      unit: '',
      aim: '>= 0.9',
      runs: n,
    },
    { group, figure: '429 answers (sum over runs)', value: total((r) => r.count429), unit: '', runs: n },
    ...(variant.faultRate > 0
      ? [
          {
            group,
            figure: '5xx injected (sum over runs)',
            value: total((r) => r.count5xx),
            unit: '',
            runs: n,
          },
        ]
      : []),
    {
      group,
      figure: 'duplicates (sum over runs)',
      value: total((r) => r.duplicates),
      unit: '',
      aim: '0',
      runs: n,
    },
    {
      group,
      figure: 'lost (sum over runs)',
      value: Math.max(
        total((r) => r.lost),
        total((r) => r.notSentInDb),
      ),
      unit: '',
      aim: '0',
      runs: n,
    },
  ]
}

/**
 * Delivery throughput at Resend's default limit (5 requests/s, 100 emails each, so 500 emails/s at
 * best), and the same with 1% of requests answered 500. Duplicates and losses are counted from
 * what the fake accepted against the seeded list, and from the database's delivery states.
 */
export async function benchThroughput(ctx: BenchContext): Promise<Row[]> {
  const emails = ctx.quick ? 2000 : 20_000
  // Each run takes 40 s or more at 5 requests/s: 3 runs in the full suite, 1 in the quick one (whose
  // seed-1 fault sequence does inject a 5xx into its 20-odd requests).
  const runs = ctx.quick ? 1 : Math.min(3, ctx.runs)
  const rows: Row[] = []
  for (const variant of VARIANTS) {
    ctx.log(`throughput: ${emails} emails, ${variant.label}, ${runs} run(s)`)
    const results = await repeat(runs, (run) => deliver(variant, emails, run + 1))
    rows.push(...rowsFor(variant, emails, results))
  }
  return rows
}
