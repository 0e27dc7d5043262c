import type { Db } from '../db/db'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'
import { signatureHeaders } from './sign'
import { type ClaimedDelivery, claimDeliveries, recordAttempt, setEndpointDisabled } from './store'
import { checkTarget } from './targets'

/** Waits after each failed attempt: about a day in all, then the delivery has failed. */
export const RETRY_DELAYS_MS = [30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800].map((s) => s * 1000)

export interface DispatcherSettings {
  workerId: string
  /** How long a claimed delivery is this worker's (a dead worker's deliveries go to another after it). */
  leaseMs: number
  /** Longest wait for a receiver's answer. */
  timeoutMs: number
  batchSize: number
  /** Allow private, loopback and link-local targets (tests; internal receivers on purpose). */
  allowInternal: boolean
}

/** The wait before attempt `attempts + 1`, with ±10% jitter so retries of many events spread out. */
export function retryDelay(attempts: number, random = Math.random): number | null {
  const base = RETRY_DELAYS_MS[attempts - 1]
  if (base === undefined) return null
  return Math.round(base * (0.9 + 0.2 * random()))
}

/**
 * Delivers the outbox: claims due deliveries, POSTs each signed event, records the answer; retries
 * with backoff; after the last retry fails, the delivery has failed and its endpoint is disabled (with
 * a log line; `course webhooks list` shows it). Runs every few seconds in each worker; deliveries are
 * leased, so several workers never send one at the same time.
 */
export class EventDispatcher {
  #timer: NodeJS.Timeout | null = null
  #running: Promise<number> | null = null

  constructor(
    private readonly deps: { db: Db; clock: Clock; logger: Logger; settings: DispatcherSettings },
    private readonly send: typeof fetch = fetch,
  ) {}

  start(intervalMs = 2000): void {
    this.#timer ??= setInterval(() => void this.runOnce(), intervalMs)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.#running
  }

  /** One round: every due delivery, a batch at a time. Joined, never doubled, when one is running. */
  runOnce(): Promise<number> {
    this.#running ??= this.#round()
      .catch((error) => {
        this.deps.logger.error({ err: error }, 'webhook delivery round failed; the next one retries')
        return 0
      })
      .finally(() => {
        this.#running = null
      })
    return this.#running
  }

  /** Delivers these deliveries now, once each (`course webhooks test`); returns how many were sent. */
  async deliverNow(ids: readonly number[]): Promise<number> {
    const { db, clock, settings } = this.deps
    const claimed = await claimDeliveries(db, {
      workerId: settings.workerId,
      now: clock.now(),
      leaseMs: settings.leaseMs,
      limit: ids.length,
      ids,
    })
    await Promise.all(claimed.map((delivery) => this.#deliver(delivery)))
    return claimed.length
  }

  async #round(): Promise<number> {
    const { db, clock, settings } = this.deps
    let delivered = 0
    for (;;) {
      const claimed = await claimDeliveries(db, {
        workerId: settings.workerId,
        now: clock.now(),
        leaseMs: settings.leaseMs,
        limit: settings.batchSize,
      })
      if (claimed.length === 0) return delivered
      await Promise.all(claimed.map((delivery) => this.#deliver(delivery)))
      delivered += claimed.length
    }
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    const { db, clock, logger, settings } = this.deps
    const at = clock.now()
    const started = performance.now()
    let status: number | null = null
    let error: string | null = null
    const target = await checkTarget(delivery.url, settings.allowInternal)
    if (!target.ok) error = target.message
    else {
      const body = JSON.stringify(delivery.payload)
      try {
        const response = await this.send(delivery.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'course-webhooks/1',
            // Signed at the wall-clock time of sending: receivers check it against their own clock.
            ...signatureHeaders(delivery.secret, delivery.event_id, new Date(), body),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(settings.timeoutMs),
        })
        status = response.status
        await response.body?.cancel().catch(() => {})
        if (status < 200 || status >= 300) error = `answered ${status}`
      } catch (failure) {
        error =
          (failure as Error).name === 'TimeoutError'
            ? `no answer in ${settings.timeoutMs} ms`
            : (failure as Error).message
      }
    }
    const attempts = delivery.attempts + 1
    const wait = error === null ? null : retryDelay(attempts)
    const outcome =
      error === null ? 'succeeded' : wait === null ? 'failed' : { retryAt: new Date(at.getTime() + wait) }
    await db.transaction(async (tx) => {
      await recordAttempt(
        tx,
        { id: delivery.id, workerId: settings.workerId },
        { at, status, error, durationMs: Math.round(performance.now() - started), outcome },
      )
      if (outcome === 'failed') {
        const reason = `event ${delivery.event_id} failed ${attempts} times over about a day (last: ${error})`
        await setEndpointDisabled(tx, delivery.endpoint_id, { at, reason }, at)
        logger.warn(
          { endpointId: delivery.endpoint_id, eventId: delivery.event_id, error },
          'webhook endpoint disabled: it kept failing',
        )
      }
    })
    if (error !== null && outcome !== 'failed')
      logger.info(
        { endpointId: delivery.endpoint_id, eventId: delivery.event_id, attempts, error },
        'webhook delivery failed; will retry',
      )
  }
}
