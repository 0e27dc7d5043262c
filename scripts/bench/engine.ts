import { type BenchContext, PG_UNREACHABLE } from './context'
import { type DriveResult, driveEngine, type Transport } from './engine-drive'
import { drivePgBoss, PGBOSS_VERSION, PGBOSS_WORK, type PgBossResult } from './engine-pgboss'
import { driveTransport, type TransportResult } from './engine-transport'
import { median, notMeasured, type Row } from './report'
import type { Engine } from './setup'

const GROUP = '8. Engine ceiling: claim, compose, send, record (instant provider, no rate limit)'

/** One way of running the engine, and the aim the issue sets for it. */
interface Variant {
  engine: Engine
  transport: Transport
  figure: string
  aim?: string
}

const VARIANTS: Variant[] = [
  {
    engine: 'pglite',
    transport: 'outbox',
    figure: 'PGlite, into the outbox (Maildir)',
    aim: '>= 1,000 emails/s',
  },
  { engine: 'pglite', transport: 'resend', figure: 'PGlite, resend SDK -> fake Resend' },
  {
    engine: 'postgres',
    transport: 'outbox',
    figure: 'PostgreSQL, into the outbox (Maildir)',
    aim: '>= 1,000 emails/s',
  },
  {
    engine: 'postgres',
    transport: 'resend',
    figure: 'PostgreSQL, resend SDK -> fake Resend',
    aim: '>= 5,000 emails/s',
  },
  {
    engine: 'postgres',
    transport: 'instant',
    figure: 'PostgreSQL, the engine alone (in-process mailer: no HTTP, no files)',
    aim: '>= 5,000 emails/s',
  },
]

const BASELINE_FIGURE = 'baseline: pg-boss, one job per email, PostgreSQL, fake Resend'

/** The transports measured alone, with no engine: what the disk or the SDK allows here. */
const TRANSPORT_FIGURES: Record<'outbox' | 'resend', string> = {
  outbox: 'reference: the outbox alone (MIME and one file per email on this disk; no engine)',
  resend: 'reference: resend SDK -> fake Resend alone (no engine)',
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0)

/** The exactly-once checks over all runs, for a row's note. */
function checks(results: readonly { duplicates: number; lost: number }[]): string {
  const duplicates = sum(results.map((r) => r.duplicates))
  const lost = sum(results.map((r) => r.lost))
  return duplicates + lost === 0
    ? 'no duplicate, nothing lost'
    : `WARNING: ${duplicates} duplicates and ${lost} lost over the runs`
}

/** Where the time went, for a row's note: seconds per run, this process's CPU, the fake's. */
function costs(results: readonly (DriveResult | PgBossResult | TransportResult)[]): string {
  const fake = results.map((r) => r.fakeCpuShare).filter((share): share is number => share !== null)
  return [
    `seconds per run: ${results.map((r) => r.seconds.toFixed(2)).join(', ')}`,
    `CPU of this process per email: ${Math.round(median(results.map((r) => r.cpuPerEmailUs)))} µs`,
    ...(fake.length > 0
      ? [`the fake Resend's process busy ${Math.round(median(fake) * 100)}% of the run`]
      : []),
  ].join('; ')
}

/**
 * The engine's own ceiling: how many emails a second go through claim, the lesson policy's check,
 * compose, one provider call per batch of 100 and record (sent, the reader moved on, the next lesson
 * queued) when the provider answers at once and the throttle is lifted. PGlite and PostgreSQL, each
 * into the Maildir outbox and through the real `resend` SDK to the fake Resend (its own process, no
 * rate limit); and on PostgreSQL the engine alone, with a mailer in this process (what the transports
 * add shows against it). The baseline, in the same run: the same emails as one `pg-boss` job each on
 * the same PostgreSQL, sent one request per job to the same fake.
 */
export async function benchEngine(ctx: BenchContext): Promise<Row[]> {
  const emails = ctx.quick ? 1000 : 5000
  // Untimed, before the runs: the first batches pay for compiling (JIT), caches and connections.
  const warmUp = ctx.quick ? 100 : 500
  const runs = ctx.runs
  const size = `${emails.toLocaleString('en-US')} emails per run (after ${warmUp} untimed)`
  const rows: Row[] = []
  let baseline: number | null = null
  if (ctx.postgresProblem) {
    rows.push(notMeasured(GROUP, BASELINE_FIGURE, PG_UNREACHABLE))
    ctx.log(`!!! engine: pg-boss baseline NOT MEASURED: ${ctx.postgresProblem}`)
  } else {
    ctx.log(`engine: pg-boss baseline, ${emails} jobs, ${runs} run(s)`)
    const results = await drivePgBoss({ emails, runs, warmUp })
    baseline = median(results.map((r) => r.perSecond))
    const enqueue = Math.round(median(results.map((r) => r.enqueuePerSecond)))
    rows.push({
      group: GROUP,
      figure: BASELINE_FIGURE,
      value: baseline,
      unit: 'emails/s',
      runs,
      note: [
        `pg-boss ${PGBOSS_VERSION} on the same PostgreSQL, ${size}: enqueued first with insert() (${enqueue.toLocaleString('en-US')} jobs/s, not timed), then work() ${JSON.stringify(PGBOSS_WORK)} composes each email as our sender does, sends it with one resend SDK call, and pg-boss completes the job; no lesson policy, no record beyond the job's state`,
        costs(results),
        checks(results),
      ].join('; '),
    })
  }
  // The transports alone, in the same run: the ceiling each engine row is read against.
  const alone = new Map<Transport, number>()
  for (const transport of ['outbox', 'resend'] as const) {
    const figure = TRANSPORT_FIGURES[transport]
    ctx.log(`engine: ${figure}, ${emails} emails, ${runs} run(s)`)
    const results = await driveTransport({ transport, emails, runs, warmUp })
    const value = median(results.map((r) => r.perSecond))
    alone.set(transport, value)
    rows.push({
      group: GROUP,
      figure,
      value,
      unit: 'emails/s',
      runs,
      note: [
        `${size}, the emails an engine run sends, composed beforehand (untimed), handed to the transport in calls of 100, 4 at a time; no database`,
        costs(results),
      ].join('; '),
    })
  }
  for (const variant of VARIANTS) {
    if (variant.engine === 'postgres' && ctx.postgresProblem) {
      rows.push(notMeasured(GROUP, variant.figure, PG_UNREACHABLE))
      continue
    }
    ctx.log(`engine: ${variant.figure}, ${emails} emails, ${runs} run(s)`)
    const results = await driveEngine({ ...variant, emails, runs, warmUp })
    const value = median(results.map((r) => r.perSecond))
    rows.push({
      group: GROUP,
      figure: variant.figure,
      value,
      unit: 'emails/s',
      baseline: { label: 'pg-boss', value: baseline, unit: 'emails/s' },
      ...(variant.aim ? { aim: variant.aim } : {}),
      ratio: baseline ? value / baseline : null,
      runs,
      note: [
        `${size}, due lessons, one sender (as npm start runs it), batches of 100, throttle lifted`,
        ...(alone.get(variant.transport)
          ? [
              `${Math.round((100 * value) / (alone.get(variant.transport) as number))}% of the transport alone in this run`,
            ]
          : []),
        costs(results),
        checks(results),
      ].join('; '),
    })
  }
  return rows
}
