import type { Content } from '../content/catalog'
import { DatabaseUnavailableError, type Db, type Queryable } from '../db/db'
import type { DeliveryKind } from '../db/rows'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'
import type { Mailer, OutgoingEmail } from '../mail/mailer'
import { type ComposeSettings, composeEmail } from './compose'
import type { Outcome, Policies } from './policy'
import { callThroughThrottle } from './provider-call'
import { type BatchEnd, endingOf, settleBatch } from './settle'
import {
  type Batch,
  type ClaimFilter,
  claimNewBatch,
  loadMembers,
  type Member,
  type Removal,
  reclaimBatch,
  removeFromBatch,
} from './store/batches'
import { sendingPausedUntil } from './throttle'

export interface SenderSettings {
  workerId: string
  leaseMs: number
  maxAttempts: number
  batchSize: number
  compose: ComposeSettings
}

export interface SenderDeps {
  db: Db
  mailer: Mailer
  /** Scheduling time: what is due, course planning, recorded timestamps (movable with `run-due --at`). */
  clock: Clock
  /** Real time: leases, the shared throttle, retry backoff. */
  realClock: Clock
  logger: Logger
  /** The current content (reloaded when files change). */
  content: () => Promise<Content>
  /** What each kind's owner says about its emails. */
  policies: Policies
  settings: SenderSettings
}

export interface SendReport {
  batches: number
  sent: number
  failed: number
  skipped: number
  retrying: number
  paused: { until: Date; reason: string | null } | null
}

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

const emptyReport = (): SendReport => ({
  batches: 0,
  sent: 0,
  failed: 0,
  skipped: 0,
  retrying: 0,
  paused: null,
})

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
   * next tick (best effort: the same key and members, so a retry is the same request) and ends the
   * tick. Without the hand-back it would wait for its lease to run out.
   */
  async #processOrHandBack(batch: Batch): Promise<SendReport> {
    try {
      return await this.processBatch(batch)
    } catch (error) {
      if (error instanceof DatabaseUnavailableError)
        await settleBatch(
          this.deps.db,
          batch,
          {
            end: 'later',
            at: this.deps.realClock.now(),
            error: 'database connection lost',
            countAttempt: false,
          },
          this.deps.policies,
          this.deps.clock.now(),
        ).catch(() => {})
      throw error
    }
  }

  /** Sends one claimed batch and settles it. */
  async processBatch(batch: Batch): Promise<SendReport> {
    const { db, clock, logger, settings, policies } = this.deps
    const report = emptyReport()
    const content = await this.deps.content()
    const now = clock.now()
    const members = await loadMembers(db, batch.id)
    const attempted = batch.attempted_at !== null
    logger.info(
      { batchId: batch.id, members: members.length, attempts: batch.attempts, retry: attempted },
      'claimed batch',
    )
    // A retry repeats the first request exactly (same members, same key), or the provider could not
    // recognise it and a person might get the email twice: the policies decide only before it.
    const toSend = attempted ? members : await db.transaction((tx) => this.#decide(tx, members, now))
    report.skipped = members.length - toSend.length

    const outcomes: Outcome[] = []
    const sendable: { member: Member; email: OutgoingEmail }[] = []
    for (const member of toSend) {
      const email = composeEmail(member, content, settings.compose)
      if (email) sendable.push({ member, email })
      else outcomes.push({ member, sent: false, error: `content "${member.item}" not found` })
    }
    let ending: BatchEnd = { end: 'done', outcomes }
    if (sendable.length > 0) {
      const call = await callThroughThrottle(
        this.deps,
        this.#abort.signal,
        batch,
        sendable.map((s) => s.email),
      )
      if (call.kind === 'paused') report.paused = { until: call.until, reason: call.reason }
      if (call.kind === 'answered') this.#unpaced = call.paced ? 0 : this.#unpaced + 1
      ending = endingOf(
        call,
        { batch, sendable, earlier: outcomes, maxAttempts: settings.maxAttempts },
        this.deps,
      )
    }
    await settleBatch(db, batch, ending, policies, now)
    if (ending.end === 'later') {
      if (report.paused === null && !this.stopped) report.retrying = sendable.length
      return report
    }
    for (const outcome of ending.outcomes) {
      const ids = {
        deliveryId: outcome.member.id,
        subscriberId: outcome.member.subscriber_id,
        kind: outcome.member.kind,
        item: outcome.member.item,
      }
      if (outcome.sent) logger.info({ ...ids, providerId: outcome.providerId, batchId: batch.id }, 'sent')
      else logger.error({ ...ids, batchId: batch.id, error: outcome.error }, 'send failed for good')
    }
    report.sent = ending.outcomes.filter((o) => o.sent).length
    report.failed = ending.outcomes.length - report.sent
    return report
  }

  /**
   * Asks each kind's policy about its members (inside the batch's transaction, where the policy may
   * also write), takes out those not to send, and returns the rest in order.
   */
  async #decide(tx: Queryable, members: Member[], now: Date): Promise<Member[]> {
    const byKind = new Map<DeliveryKind, Member[]>()
    for (const member of members) byKind.set(member.kind, [...(byKind.get(member.kind) ?? []), member])
    const sending = new Set<number>()
    const removals: Removal[] = []
    for (const [kind, group] of byKind) {
      const decisions = await this.deps.policies[kind].decide(tx, group, now)
      group.forEach((member, index) => {
        const decision = decisions[index] ?? { action: 'send' }
        if (decision.action === 'send') sending.add(member.id)
        else if (decision.action === 'postpone')
          removals.push({ id: member.id, how: 'postpone', until: decision.until })
        else if (decision.action === 'drop') removals.push({ id: member.id, how: 'drop' })
        else removals.push({ id: member.id, how: decision.action, reason: decision.reason })
      })
    }
    await removeFromBatch(tx, removals, now)
    return members.filter((member) => sending.has(member.id))
  }
}
