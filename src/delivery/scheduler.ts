import cron, { type ScheduledTask } from 'node-cron'
import type { Logger } from '../lib/logger'
import type { Sender, SendReport } from './sender'

/**
 * Work the domain does around each tick's sending, given the tick's scheduling time: before it (start
 * newsletter issues whose time came, re-plan lessons after a content change), after it (mark issues
 * whose last email is done). Wired by the composition root, so the engine knows none of it.
 */
export interface TickTasks {
  before: readonly ((now: Date) => Promise<void>)[]
  after: readonly ((now: Date) => Promise<void>)[]
}

export interface TickDeps {
  sender: Sender
  /** Scheduling time (`run-due --at` and tests move it). */
  now: () => Date
  logger: Logger
  tasks: TickTasks
  tickBudgetMs: number
}

/**
 * One tick, the same for the scheduler and `course run-due`: the tasks before, then send what is due
 * within the budget, then the tasks after.
 */
export async function runTick(
  deps: TickDeps,
  options: { onBatch?: (report: SendReport) => void } = {},
): Promise<SendReport> {
  for (const task of deps.tasks.before) await task(deps.now())
  const report = await deps.sender.run({
    budgetMs: deps.tickBudgetMs,
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
  })
  for (const task of deps.tasks.after) await task(deps.now())
  if (report.batches > 0 || report.paused) deps.logger.info({ ...report }, 'tick done')
  return report
}

/**
 * Runs ticks on TICK_CRON with node-cron (`noOverlap`: a slow tick is never run twice at once). Stop
 * ends claiming, lets the batches in flight finish or hands them back, and waits for the tick to end.
 */
export class Scheduler {
  #task: ScheduledTask | null = null
  #running: Promise<unknown> = Promise.resolve()
  #active: Promise<unknown> | null = null

  constructor(private readonly deps: TickDeps & { tickCron: string }) {}

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
