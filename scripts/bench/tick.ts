import { systemClock } from '../../src/lib/clock'
import { type BenchContext, PG_UNREACHABLE } from './context'
import { median, notMeasured, type Row } from './report'
import { buildServices, createInstantMailer, setThrottleRate, stopServices } from './services'
import { benchConfig, type Engine, openBenchDb } from './setup'
import { claimUsesDueIndex, makeDue, seedList } from './tick-seed'

const DUE = 1000
const BATCH = 100

interface TickResult {
  medianMs: number
  runs: number
  seedSeconds: number
  plan: string
  /** Set when a tick did not send exactly the due rows (the figure would then mean something else). */
  problem: string | null
}

/** Seeds `size` readers, then times `runs` ticks that each find exactly 1,000 due lessons. */
async function measure(ctx: BenchContext, engine: Engine, size: number): Promise<TickResult> {
  const bench = await openBenchDb(engine, `tick${size}`)
  try {
    const config = benchConfig({ SEND_BATCH_SIZE: String(BATCH), RESEND_RATE_LIMIT: '1000' })
    const mailer = createInstantMailer()
    const services = await buildServices({ config, db: bench.db, mailer })
    // Unlimited for the bench: the tick's own cost is the point, not the provider's pace.
    await setThrottleRate(bench.db, 1e9)
    const seedStart = performance.now()
    const course = (await services.webDeps.content()).courses[0]!
    await seedList(bench.db, {
      size,
      course,
      now: systemClock.now(),
      onChunk: (done) => ctx.log(`  tick ${engine} ${size.toLocaleString('en-US')}: seeded ${done}`),
    })
    const seedSeconds = (performance.now() - seedStart) / 1000
    const times: number[] = []
    let problem: string | null = null
    // Run 0 warms up (caches, JIT, the sender's first content load) and is not counted. Each run
    // takes its own block of readers, so the list must hold runs + 1 blocks.
    // Ticks are short and their medians noisy on a small machine: at least 9 (5 in quick mode).
    const runs = Math.min(Math.max(ctx.runs, ctx.quick ? 5 : 9), Math.floor(size / DUE) - 1)
    const spacing = Math.floor(size / (runs + 1))
    for (let run = 0; run <= runs; run++) {
      const due = await makeDue(bench.db, {
        first: run * spacing + 1,
        count: DUE,
        at: new Date(Date.now() - 60_000),
      })
      const start = performance.now()
      const report = await services.tick()
      const ms = performance.now() - start
      if (run > 0) times.push(ms)
      if (due !== DUE || report.sent !== DUE)
        problem = `a tick sent ${report.sent} of ${due} due (expected ${DUE})`
    }
    const plan = await claimUsesDueIndex(bench.db, systemClock.now())
    await stopServices(services)
    return { medianMs: median(times), runs, seedSeconds, plan, problem }
  } finally {
    await bench.close()
  }
}

/**
 * The cost of one tick as the list grows: the same 1,000 due deliveries (10 batches of 100 to a
 * mailer that answers at once, throttle unlimited) with 10k, 100k and 1M readers in the database. A
 * tick should cost what is due, not what is waiting: the 1M/10k ratio should stay near 1.
 */
export async function benchTick(ctx: BenchContext): Promise<Row[]> {
  const plans: { engine: Engine; sizes: number[] }[] = ctx.quick
    ? [
        { engine: 'pglite', sizes: [10_000] },
        { engine: 'postgres', sizes: [10_000, 100_000] },
      ]
    : [
        { engine: 'pglite', sizes: [10_000, 100_000] },
        { engine: 'postgres', sizes: [10_000, 100_000, 1_000_000] },
      ]
  const rows: Row[] = []
  for (const { engine, sizes } of plans) {
    const group = `2. Tick cost, ${DUE.toLocaleString('en-US')} due (${engine === 'pglite' ? 'PGlite' : 'PostgreSQL'})`
    if (engine === 'postgres' && ctx.postgresProblem) {
      for (const size of sizes)
        rows.push(notMeasured(group, `${size.toLocaleString('en-US')} readers`, PG_UNREACHABLE))
      ctx.log(`!!! tick on PostgreSQL NOT MEASURED: ${ctx.postgresProblem}`)
      continue
    }
    let smallest: number | null = null
    for (const size of sizes) {
      ctx.log(`tick: ${engine}, ${size.toLocaleString('en-US')} readers`)
      const result = await measure(ctx, engine, size)
      smallest ??= result.medianMs
      const largest = size === sizes.at(-1) && size > sizes[0]!
      const notes = [`seeded in ${result.seedSeconds.toFixed(1)} s`]
      if (largest) notes.push(result.plan)
      if (result.problem) notes.push(`WARNING: ${result.problem}`)
      rows.push({
        group,
        figure: `one tick, ${size.toLocaleString('en-US')} readers`,
        value: result.medianMs,
        unit: 'ms',
        ...(size === sizes[0]
          ? {}
          : {
              baseline: {
                label: `${sizes[0]!.toLocaleString('en-US')} readers`,
                value: smallest,
                unit: 'ms',
              },
              ratio: result.medianMs / smallest,
              aim: largest ? '<= 2x' : undefined,
            }),
        runs: result.runs,
        note: notes.join('; '),
      })
    }
  }
  return rows
}
