import type { Content } from '../content/catalog'
import { DatabaseUnavailableError, type Db } from '../db/db'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'
import type { Mailer, OutgoingEmail, SendFailure } from '../mail/mailer'
import {
  type Batch,
  type ClaimFilter,
  claimNewBatch,
  completeBatch,
  loadMembers,
  type Member,
  reclaimBatch,
  releaseBatch,
} from './batches'
import { type ComposeSettings, composeEmail } from './compose'
import { type DecideSettings, decide } from './decide'
import { callThroughThrottle } from './provider-call'
import { lessonPlanSignature, reconcileLessonQueue } from './reconcile'
import { applyDecisions, type Outcome, recordOutcomes } from './record'
import { planRetry } from './retry'
import { sendingPausedUntil } from './throttle'

export interface SenderSettings {
  workerId: string
  leaseMs: number
  maxAttempts: number
  batchSize: number
  compose: ComposeSettings
  decide: DecideSettings
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

const emptyReport = (): SendReport => ({
  batches: 0,
  sent: 0,
  failed: 0,
  skipped: 0,
  retrying: 0,
  paused: null,
})

export { backoffMs } from './retry'

/**
 * Claims due deliveries in batches and sends them exactly once: claim (membership and key persisted),
 * check each person's state again, send through the shared throttle, record. Every failure is a value
 * that decides between retrying the same request later, giving up on one email, or pausing.
 */
export class Sender {
  #soon: Promise<unknown> = Promise.resolve()
  #planSignature: string | null = null
  readonly #abort = new AbortController()

  constructor(private readonly deps: SenderDeps) {}

  /** Stops claiming; a batch waiting for its slot is handed back, one mid-call is finished. */
  stop(): void {
    this.#abort.abort()
  }

  get stopped(): boolean {
    return this.#abort.signal.aborted
  }

  /** Sends these queued deliveries now (confirmation, lesson day 0) instead of at the next tick. */
  sendSoon(ids: number[]): void {
    if (ids.length === 0 || this.stopped) return
    this.#soon = this.#soon
      .then(() => this.run({ filter: { ids }, budgetMs: 60_000 }))
      .catch((error) =>
        this.deps.logger.error({ err: error }, 'immediate send failed; the next tick retries'),
      )
  }

  /** Resolves when every `sendSoon` so far has finished (tests, graceful shutdown). */
  whenIdle(): Promise<void> {
    return this.#soon.then(() => {})
  }

  /**
   * One tick: takes over expired batches, claims new ones, and sends until nothing is due, the budget
   * is spent, sending is paused, or `stop()` is called.
   */
  async run(options: {
    filter?: ClaimFilter
    budgetMs: number
    onBatch?: (report: SendReport) => void
  }): Promise<SendReport> {
    const { db, realClock, clock, settings } = this.deps
    const report = emptyReport()
    const deadline = realClock.now().getTime() + options.budgetMs
    if (!options.filter) await this.#reconcileIfPlanChanged()
    while (!this.stopped && realClock.now().getTime() < deadline) {
      const paused = await sendingPausedUntil(db, realClock.now())
      if (paused) {
        report.paused = paused
        break
      }
      const lease = { workerId: settings.workerId, leaseMs: settings.leaseMs }
      const batch =
        (options.filter && 'ids' in options.filter
          ? null
          : await reclaimBatch(db, { ...lease, now: realClock.now() })) ??
        (await claimNewBatch(db, {
          ...lease,
          now: clock.now(),
          realNow: realClock.now(),
          limit: settings.batchSize,
          filter: options.filter ?? null,
        }))
      if (!batch) break
      const result = await this.#processOrHandBack(batch)
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
    }
    return report
  }

  /** When lessons were added, removed or moved, re-points the waiting lessons (once per change). */
  async #reconcileIfPlanChanged(): Promise<void> {
    const content = await this.deps.content()
    const signature = lessonPlanSignature(content.lessons)
    if (signature === this.#planSignature) return
    await reconcileLessonQueue(
      this.deps.db,
      content.lessons,
      this.deps.settings.decide.schedule,
      this.deps.clock.now(),
      this.deps.logger,
    )
    this.#planSignature = signature
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
        await releaseBatch(this.deps.db, batch.id, {
          retryAt: this.deps.realClock.now(),
          error: 'database connection lost',
          countAttempt: false,
        }).catch(() => {})
      throw error
    }
  }

  /** Sends one claimed batch and records the outcome. */
  async processBatch(batch: Batch): Promise<SendReport> {
    const { db, clock, logger, settings } = this.deps
    const report = emptyReport()
    const content = await this.deps.content()
    const now = clock.now()
    const members = await loadMembers(db, batch.id)
    const attempted = batch.attempted_at !== null
    logger.info(
      { batchId: batch.id, members: members.length, attempts: batch.attempts, retry: attempted },
      'claimed batch',
    )
    const decided = members.map((member) => ({
      member,
      decision: decide(member, attempted, content, settings.decide, now),
    }))
    const toSend = await db.transaction((tx) =>
      applyDecisions(tx, decided, content, settings.decide.schedule, now),
    )
    report.skipped = members.length - toSend.length

    const outcomes: Outcome[] = []
    const sendable: { member: Member; email: OutgoingEmail }[] = []
    for (const member of toSend) {
      const email = composeEmail(member, content, settings.compose)
      if (email) sendable.push({ member, email })
      else outcomes.push({ member, sent: false, error: `content "${member.item}" not found` })
    }
    if (sendable.length === 0) {
      await db.transaction(async (tx) => {
        await recordOutcomes(tx, outcomes, content, settings.decide.schedule, now)
        await completeBatch(tx, batch.id, now)
      })
      report.failed = outcomes.length
      return report
    }

    const result = await callThroughThrottle(
      this.deps,
      this.#abort.signal,
      batch,
      sendable.map((s) => s.email),
    )
    if (result === 'stopped' || result === 'paused' || (!result.ok && result.retryable)) {
      if (result === 'paused') report.paused = await sendingPausedUntil(db, this.deps.realClock.now())
      else if (result !== 'stopped')
        return this.#retryLater(
          batch,
          sendable.map((s) => s.member),
          result,
          outcomes,
          content,
        )
      return report
    }
    if (result.ok) {
      result.items.forEach((item, index) => {
        const { member } = sendable[index]!
        outcomes.push(
          item.ok
            ? { member, sent: true, providerId: item.providerId }
            : { member, sent: false, error: `${item.code}: ${item.message}` },
        )
      })
    } else if (result.alreadyAccepted) {
      // An earlier attempt with this key was accepted (the body has changed since): it went out.
      logger.warn({ batchId: batch.id }, 'provider already accepted this batch earlier; recording it as sent')
      for (const { member } of sendable) outcomes.push({ member, sent: true, providerId: null })
    } else {
      for (const { member } of sendable)
        outcomes.push({ member, sent: false, error: `${result.code}: ${result.message}` })
    }
    await db.transaction(async (tx) => {
      await recordOutcomes(tx, outcomes, content, settings.decide.schedule, now)
      await completeBatch(tx, batch.id, now)
    })
    for (const outcome of outcomes) {
      const ids = {
        deliveryId: outcome.member.id,
        subscriberId: outcome.member.subscriber_id,
        kind: outcome.member.kind,
        item: outcome.member.item,
      }
      if (outcome.sent) logger.info({ ...ids, providerId: outcome.providerId, batchId: batch.id }, 'sent')
      else logger.error({ ...ids, batchId: batch.id, error: outcome.error }, 'send failed for good')
    }
    report.sent = outcomes.filter((o) => o.sent).length
    report.failed = outcomes.length - report.sent
    return report
  }

  /** A retryable failure: hand the batch back for the same request later, or give up for good. */
  async #retryLater(
    batch: Batch,
    members: Member[],
    failure: SendFailure,
    earlier: Outcome[],
    content: Content,
  ): Promise<SendReport> {
    const { db, clock, realClock, logger, settings } = this.deps
    const report = emptyReport()
    const plan = planRetry(batch.attempts, failure, settings.maxAttempts, realClock.now())
    if (plan.giveUp) {
      const error = `gave up after ${plan.attempts} attempts: ${plan.error}`
      const outcomes: Outcome[] = [
        ...earlier,
        ...members.map((member): Outcome => ({ member, sent: false, error })),
      ]
      await db.transaction(async (tx) => {
        await recordOutcomes(tx, outcomes, content, settings.decide.schedule, clock.now())
        await completeBatch(tx, batch.id, clock.now())
      })
      logger.error({ batchId: batch.id, attempts: plan.attempts, error: plan.error }, 'batch failed for good')
      report.failed = outcomes.length
      return report
    }
    await releaseBatch(db, batch.id, {
      retryAt: plan.retryAt,
      error: plan.error,
      countAttempt: plan.countAttempt,
    })
    logger.warn(
      { batchId: batch.id, attempts: plan.attempts, retryAt: plan.retryAt, error: plan.error },
      'send failed; will retry with the same idempotency key',
    )
    report.retrying = members.length
    return report
  }
}
