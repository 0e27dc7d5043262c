import type { Db } from '../db/db'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'
import { applyEvent, type Effect } from './apply'
import { parseEmailEvent } from './events'
import { matchEvent } from './match'
import { lockUnprocessedEvent, markEventProcessed, unprocessedEventIds } from './store'

export interface WebhookProcessorDeps {
  db: Db
  clock: Clock
  logger: Logger
}

/**
 * What processing one event did; null if it was already processed (by us or another process);
 * 'deferred' if it must wait for the send it is about to be recorded (the next sweep takes it).
 */
export type ProcessResult =
  | {
      type: string
      deliveryId: number | null
      subscriberId: number | null
      effect: Effect
    }
  | null
  | 'deferred'

/** Events that say the provider did not send the email after all. */
const NOT_SENT_EVENTS: ReadonlySet<string> = new Set(['email.failed', 'email.suppressed'])

/** Events taken per sweep round; a backlog is worked through round after round. */
const SWEEP_BATCH = 200
/** How often a running process looks for events left unprocessed (a crash between record and process). */
export const SWEEP_INTERVAL_MS = 60_000

/**
 * Processes one recorded event in one transaction: lock it, match it to a delivery and a person,
 * apply its effect, mark it processed. Running it twice (or from two processes) is harmless: the
 * second finds the event processed and does nothing.
 */
export async function processEvent(deps: WebhookProcessorDeps, eventId: string): Promise<ProcessResult> {
  const now = deps.clock.now()
  return deps.db.transaction(async (tx) => {
    const row = await lockUnprocessedEvent(tx, eventId)
    if (!row) return null
    const parsed = parseEmailEvent(row.payload)
    if (parsed.kind !== 'event') {
      // Only handled types are recorded, so this is a row written by hand: close it, do nothing.
      await markEventProcessed(tx, eventId, { deliveryId: null, subscriberId: null }, now)
      return { type: row.type, deliveryId: null, subscriberId: null, effect: {} }
    }
    const target = await matchEvent(tx, parsed.event)
    // "Not sent after all" for an email whose send is not recorded yet: the record would overwrite it.
    // Left unprocessed, the next sweep applies it once the outcome is written.
    if (target.delivery?.inFlight && NOT_SENT_EVENTS.has(parsed.event.type)) return 'deferred'
    const effect = await applyEvent(tx, parsed.event, target, row.occurred_at ?? row.received_at, now)
    const match = { deliveryId: target.delivery?.id ?? null, subscriberId: target.subscriberId }
    await markEventProcessed(tx, eventId, match, now)
    return { type: row.type, ...match, effect }
  })
}

/**
 * Record, then process: the webhook route records an event and answers at once; this processes it
 * right after, one event at a time, in this process. A periodic sweep picks up events that were
 * recorded but never processed (the process stopped in between), so nothing recorded is lost.
 */
export class WebhookProcessor {
  #chain: Promise<unknown> = Promise.resolve()
  #timer: NodeJS.Timeout | null = null

  constructor(private readonly deps: WebhookProcessorDeps) {}

  /** Processes this recorded event soon (after those already waiting). */
  enqueue(eventId: string): void {
    void this.#then(() => this.#process(eventId), false)
  }

  /** Processes every event recorded but not yet processed; resolves with how many it processed. */
  sweep(): Promise<number> {
    return this.#then(async () => {
      let done = 0
      for (;;) {
        const ids = await unprocessedEventIds(this.deps.db, SWEEP_BATCH)
        let progressed = 0
        for (const id of ids) if (await this.#process(id)) progressed++
        done += progressed
        // Stop when nothing is left, or when nothing could be processed (errors are logged; retry later).
        if (ids.length < SWEEP_BATCH || progressed === 0) return done
      }
    }, 0)
  }

  /** Sweeps now and then every `intervalMs` until {@link stop}. */
  start(intervalMs = SWEEP_INTERVAL_MS): void {
    if (this.#timer) return
    void this.sweep()
    this.#timer = setInterval(() => void this.sweep(), intervalMs)
    this.#timer.unref()
  }

  /** Stops sweeping and waits for the work in hand. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.whenIdle()
  }

  /** Resolves when everything enqueued so far is processed (tests, shutdown). */
  whenIdle(): Promise<void> {
    return this.#chain.then(() => {})
  }

  async #process(eventId: string): Promise<boolean> {
    try {
      const result = await processEvent(this.deps, eventId)
      if (result === 'deferred') {
        this.deps.logger.info({ eventId }, 'webhook event waits for its send to be recorded')
        return false
      }
      if (result?.effect.suppressed)
        this.deps.logger.info(
          { eventId, subscriberId: result.subscriberId, status: result.effect.suppressed },
          'mail stopped for this subscriber (provider event)',
        )
      return true
    } catch (error) {
      // Left unprocessed: the next sweep tries again.
      this.deps.logger.error({ err: error, eventId }, 'webhook event processing failed')
      return false
    }
  }

  /** Runs `work` after everything before it; a failure is logged (never thrown) and gives `fallback`. */
  #then<T>(work: () => Promise<T>, fallback: T): Promise<T> {
    const next = this.#chain.then(work).catch((error) => {
      this.deps.logger.error({ err: error }, 'webhook processing failed; the next sweep retries')
      return fallback
    })
    this.#chain = next
    return next
  }
}
