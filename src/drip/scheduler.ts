import cron, { type ScheduledTask } from 'node-cron'
import type { Db } from '../db/db'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'
import { enqueueNewsletter, finishNewsletterSends, takeDueNewsletterSends } from './newsletter-queue'
import type { Sender, SendReport } from './sender'

export interface SchedulerDeps {
  db: Db
  sender: Sender
  clock: Clock
  logger: Logger
  tickCron: string
  tickBudgetMs: number
}

/** One tick: start newsletter issues whose time has come, then send what is due within the budget. */
export async function runTick(
  deps: Omit<SchedulerDeps, 'tickCron'>,
  options: { onBatch?: (report: SendReport) => void } = {},
): Promise<SendReport> {
  const { db, sender, clock, logger } = deps
  for (const slug of await takeDueNewsletterSends(db, clock.now())) {
    const { queued } = await enqueueNewsletter(db, slug, clock.now())
    logger.info({ newsletter: slug, queued }, 'newsletter issue queued for its recipients')
  }
  const report = await sender.run({
    budgetMs: deps.tickBudgetMs,
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
  })
  await finishNewsletterSends(db, clock.now())
  if (report.batches > 0 || report.paused) logger.info({ ...report }, 'tick done')
  return report
}

/**
 * Runs ticks on TICK_CRON with node-cron (`noOverlap`: a slow tick is never run twice at once). Stop
 * ends claiming, lets the batch in flight finish or hands it back, and waits for the tick to end.
 */
export class Scheduler {
  #task: ScheduledTask | null = null
  #running: Promise<unknown> = Promise.resolve()
  #active: Promise<unknown> | null = null

  constructor(private readonly deps: SchedulerDeps) {}

  start(): void {
    this.#task = cron.schedule(this.deps.tickCron, () => this.tickNow(), {
      noOverlap: true,
      name: 'course-tick',
    })
  }

  /**
   * Runs a tick now (also at start, so a restart catches up at once). A tick already running is
   * joined, never doubled: the same guarantee node-cron's `noOverlap` gives its own runs.
   */
  tickNow(): Promise<unknown> {
    if (this.#active) return this.#active
    this.#active = runTick(this.deps)
      .catch((error) => this.deps.logger.error({ err: error }, 'tick failed; the next one retries'))
      .finally(() => {
        this.#active = null
      })
    this.#running = this.#active
    return this.#active
  }

  async stop(): Promise<void> {
    this.deps.sender.stop()
    await this.#task?.destroy()
    this.#task = null
    await this.#running
    await this.deps.sender.whenIdle()
  }
}
