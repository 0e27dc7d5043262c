import { DatabaseUnavailableError } from '../db/db'
import { emptyReport, handBack, type SenderDeps, type SendReport, sendBatch } from './send-batch'
import { type Batch, type ClaimFilter, claimNewBatch, reclaimBatch } from './store/batches'
import { CallWindow, sendingPausedUntil } from './throttle'

export type { SenderDeps, SenderSettings, SendReport } from './send-batch'

/**
 * Batches one run sends at the same time. While one batch waits for the provider (or the outbox's
 * disk), another is claimed, checked and settled: on PostgreSQL the database and this process work
 * side by side instead of in turn. Each batch is claimed under its own lease (SKIP LOCKED), so lanes
 * never share one; a reader's lessons are decided under a lock on their row, taken in id order.
 */
export const BATCHES_IN_FLIGHT = 4

/** What the lanes of one run share. */
interface RunState {
  /** When the run's budget is spent (real time, ms). */
  deadline: number
  /** How many ids the run was asked for, or null for whatever is due. */
  asked: number | null
  claimed: number
  /** A lane stopped the run (pause, budget, error): the others end after their current batch. */
  ended: boolean
  /** Lanes still sending. */
  running: number
}

/**
 * Claims due deliveries in batches and sends them exactly once: claim (membership and key persisted),
 * let each kind's policy check its emails again, send through the shared throttle, settle. Every
 * failure is a value that decides between retrying the same request later, giving up on one email,
 * or pausing.
 */
export class Sender {
  /** The send of gathered `sendSoon` asks in flight, if any, and the asks waiting for the next one. */
  #soon: Promise<void> | null = null
  readonly #wanted: number[] = []
  readonly #abort = new AbortController()
  /**
   * Provider calls in a row that did not wait for their turn of the shared rate (0: the last one
   * waited). A lane joins only after two: the first call after a quiet spell always finds its turn free.
   */
  #unpaced = 0
  /** This sender's provider calls, for the provider's one-second window. */
  readonly #calls = new CallWindow()

  constructor(private readonly deps: SenderDeps) {}

  /** Stops claiming; a batch waiting for its slot is handed back, one mid-call is finished. */
  stop(): void {
    this.#abort.abort()
  }

  get stopped(): boolean {
    return this.#abort.signal.aborted
  }

  /**
   * Sends these queued deliveries now (confirmation, lesson day 0) instead of at the next tick. Asks
   * that arrive while a send is in flight are gathered and go together in the next one: under a burst
   * of signups, one claim, one provider batch and one settle serve many confirmations.
   */
  sendSoon(ids: number[]): void {
    if (ids.length === 0 || this.stopped) return
    for (const id of ids) this.#wanted.push(id)
    this.#soon ??= this.#sendWanted()
  }

  async #sendWanted(): Promise<void> {
    try {
      while (this.#wanted.length > 0 && !this.stopped) {
        const ids = this.#wanted.splice(0)
        try {
          await this.run({ filter: { ids }, budgetMs: 60_000 })
        } catch (error) {
          this.deps.logger.error({ err: error }, 'immediate send failed; the next tick retries')
        }
      }
    } finally {
      // In the same step as the last check of #wanted: an ask added after it starts a new send.
      this.#soon = null
      this.#wanted.length = 0
    }
  }

  /** Resolves when every `sendSoon` so far has finished (tests, graceful shutdown). */
  async whenIdle(): Promise<void> {
    while (this.#soon) await this.#soon
  }

  /**
   * Sends until nothing is due, the budget is spent, sending is paused, or `stop()` is called: takes
   * over expired batches, claims new ones, {@link BATCHES_IN_FLIGHT} at a time. One tick's sending
   * (see runTick for the whole tick). Returns, or throws the first error, only once no batch of it is
   * still being sent.
   */
  async run(options: {
    filter?: ClaimFilter
    budgetMs: number
    onBatch?: (report: SendReport) => void
    /** At most this many batches in flight (default {@link BATCHES_IN_FLIGHT}). */
    inFlight?: number
  }): Promise<SendReport> {
    const report = emptyReport()
    const asked = options.filter && 'ids' in options.filter ? options.filter.ids.length : null
    const run: RunState = {
      deadline: this.deps.realClock.now().getTime() + options.budgetMs,
      asked,
      claimed: 0,
      ended: false,
      running: 0,
    }
    // One lane to begin with; another joins each time a lane has sent a full batch (more is waiting)
    // and the last two calls did not wait for the shared rate, up to BATCHES_IN_FLIGHT: a few due
    // emails, a signup's confirmation, or a rate limit that sets the pace keep one lane (a lane whose
    // call waited for its turn leaves while another is running). A lane's failure is kept as a value
    // from its start (a lane that joined while the others were awaited must not reject with no one
    // listening).
    const lanes: Promise<{ error: unknown } | null>[] = []
    const most = options.inFlight ?? BATCHES_IN_FLIGHT
    const addLane = () => {
      if (lanes.length >= most) return
      lanes.push(
        this.#lane(options, report, run, addLane).then(
          () => null,
          (error: unknown) => ({ error }),
        ),
      )
    }
    addLane()
    let ends: ({ error: unknown } | null)[] = []
    while (ends.length < lanes.length) ends = await Promise.all([...lanes])
    const failed = ends.find((end) => end !== null)
    if (failed) throw failed.error
    return report
  }

  /** One lane of a run: claims and sends one batch at a time until the run ends. */
  async #lane(
    options: { filter?: ClaimFilter; onBatch?: (report: SendReport) => void },
    report: SendReport,
    run: RunState,
    addLane: () => void,
  ): Promise<void> {
    const { db, realClock, clock, settings } = this.deps
    run.running++
    try {
      while (!run.ended && !this.stopped && realClock.now().getTime() < run.deadline) {
        const paused = await sendingPausedUntil(db, realClock.now())
        if (paused) {
          report.paused = paused
          break
        }
        const lease = { workerId: settings.workerId, leaseMs: settings.leaseMs }
        const reclaimed =
          run.asked !== null ? null : await reclaimBatch(db, { ...lease, now: realClock.now() })
        // Checked again right before claiming: the statements above may have waited their turn.
        if (!reclaimed && realClock.now().getTime() >= run.deadline) break
        const claimed = reclaimed
          ? null
          : await claimNewBatch(db, {
              ...lease,
              now: clock.now(),
              realNow: realClock.now(),
              limit: settings.batchSize,
              filter: options.filter ?? null,
            })
        const batch = reclaimed ?? claimed
        // Nothing left to claim: this lane is done; the others finish their batch and find the same.
        if (!batch) return
        const size = claimed?.members ?? 0
        run.claimed += size
        const result = await this.#processOrHandBack(batch)
        // More is waiting, and the calls did not wait for their turn of the shared rate: another lane
        // can use the time. When the rate sets the pace, more lanes add only bunched calls (which a
        // provider counting per second answers with 429s): this lane leaves if another goes on.
        if (size >= settings.batchSize && this.#unpaced >= 2) addLane()
        report.batches++
        report.sent += result.sent
        report.failed += result.failed
        report.skipped += result.skipped
        report.retrying += result.retrying
        options.onBatch?.(report)
        if (result.paused) {
          report.paused = result.paused
          break
        }
        if (this.#unpaced === 0 && run.running > 1) return
        // Asked for these ids only: once all are claimed, or a claim took less than a full batch (the
        // rest are sent already, not due, or another worker's), asking again would cost two statements
        // for nothing at every signup.
        if (run.asked !== null && (run.claimed >= run.asked || size < settings.batchSize)) return
      }
    } catch (error) {
      run.ended = true
      throw error
    } finally {
      run.running--
    }
    // Paused, out of time or stopped: the other lanes stop after the batch they hold.
    run.ended = true
  }

  /**
   * Processes a batch; if the database connection is lost on the way, hands the batch back for the
   * next tick and ends the tick.
   */
  async #processOrHandBack(batch: Batch): Promise<SendReport> {
    try {
      return await this.processBatch(batch)
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) await handBack(this.deps, batch)
      throw error
    }
  }

  /** Sends one claimed batch and settles it ({@link sendBatch}), counting the calls that found their turn free. */
  async processBatch(batch: Batch): Promise<SendReport> {
    const { report, paced } = await sendBatch(this.deps, batch, this.#abort.signal, this.#calls)
    if (paced !== null) this.#unpaced = paced ? 0 : this.#unpaced + 1
    return report
  }
}
