import type { Db } from '../db/db'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'
import type { BatchResult, Mailer, OutgoingEmail, SendFailure } from '../mail/mailer'
import { type Batch, markAttempted } from './store/batches'
import { adaptRate, type CallWindow, holdSlotsUntil, pauseSending, reserveSlot } from './throttle'

/**
 * A wait for the shared rate this long or longer means the rate sets the pace (a provider limit of a
 * few requests a second); shorter ones are the spacing of a rate far above what is sent.
 */
const PACED_WAIT_MS = 20

/** 429s waited out in place before the batch is handed back. */
const MAX_RATE_LIMITED_WAITS = 10
/** Longer than this, a 429's wait is spent with the batch released instead of held. */
const MAX_INLINE_WAIT_MS = 10_000
/** How long to stop everything when the provider refuses all mail and gives no time. */
const AUTH_PAUSE_MS = 10 * 60 * 1000
const QUOTA_PAUSE_MS = 60 * 60 * 1000

export interface ProviderCallDeps {
  db: Db
  mailer: Mailer
  clock: Clock
  realClock: Clock
  logger: Logger
  /** This sender's calls, for the provider's one-second window. */
  calls: CallWindow
}

/**
 * How a provider call went, as the batch's settle step needs it: an answer (accepted, or a failure
 * to retry or not, and whether the shared rate made it wait for its turn), no call because the worker
 * is stopping, or no call because all sending is paused (the pause is recorded; `until` is when it ends).
 */
export type CallResult =
  | { kind: 'answered'; result: BatchResult; paced: boolean }
  | { kind: 'stopped' }
  | { kind: 'paused'; until: Date; reason: string; error: string }

/**
 * One provider call: a batch call for several emails, a single send for one. A retry uses the endpoint
 * of the first call (`firstSize`), so the provider matches its key even if a member was erased since.
 */
async function callProvider(
  mailer: Mailer,
  emails: OutgoingEmail[],
  idempotencyKey: string,
  firstSize: number | null,
): Promise<BatchResult> {
  if ((firstSize ?? emails.length) > 1) return mailer.sendBatch(emails, { idempotencyKey })
  const result = await mailer.send(emails[0]!, { idempotencyKey })
  return result.ok
    ? { ok: true, items: [{ ok: true, providerId: result.providerId }], rateLimit: result.rateLimit }
    : result
}

/** The provider refuses all mail (quota, key): no worker sends until the pause ends. */
async function pauseAll(deps: ProviderCallDeps, batch: Batch, failure: SendFailure): Promise<CallResult> {
  const ms = failure.retryAfterMs ?? (failure.systemic === 'quota' ? QUOTA_PAUSE_MS : AUTH_PAUSE_MS)
  const until = new Date(deps.realClock.now().getTime() + ms)
  const reason = `${failure.code}: ${failure.message}`
  await pauseSending(deps.db, until, reason)
  deps.logger.error(
    { batchId: batch.id, until, reason },
    'sending paused: the provider refuses all mail for now',
  )
  return { kind: 'paused', until, reason, error: reason }
}

/**
 * Waits for a slot of the shared rate and for room in the provider's one-second window, marks the
 * batch attempted (from then on a retry must be the same request), calls the provider, and waits out
 * short 429s in place. It never releases the batch: what happens to it is decided from the result, in
 * one place (settle.ts).
 */
export async function callThroughThrottle(
  deps: ProviderCallDeps,
  signal: AbortSignal,
  batch: Batch,
  emails: OutgoingEmail[],
): Promise<CallResult> {
  const { db, realClock, logger } = deps
  let paced = false
  for (let waits = 0; ; waits++) {
    const slot = await reserveSlot(db, realClock.now())
    if (!slot.ok) {
      const reason = slot.reason ?? 'paused'
      return { kind: 'paused', until: slot.pausedUntil, reason, error: `sending paused: ${reason}` }
    }
    await realClock.sleep(slot.waitMs, signal)
    const before = realClock.now().getTime()
    const answered = await deps.calls.take(slot.perSecond, realClock, signal)
    if (!answered) return { kind: 'stopped' }
    if (slot.waitMs + realClock.now().getTime() - before >= PACED_WAIT_MS) paced = true
    let result: BatchResult
    try {
      await markAttempted(db, batch.id, deps.clock.now(), emails.length)
      result = await callProvider(deps.mailer, emails, batch.idempotency_key, batch.first_size)
    } finally {
      answered()
    }
    const limit = result.rateLimit?.limit
    if (limit !== undefined && limit > 0) await adaptRate(db, limit)
    if (!result.ok && result.systemic) return pauseAll(deps, batch, result)
    if (result.ok || !result.retryable || result.status !== 429) return { kind: 'answered', result, paced }
    const waitMs = result.retryAfterMs ?? 1000
    await holdSlotsUntil(db, new Date(realClock.now().getTime() + waitMs))
    logger.warn({ batchId: batch.id, waitMs }, 'rate limited by the provider; waiting')
    if (waitMs > MAX_INLINE_WAIT_MS || waits >= MAX_RATE_LIMITED_WAITS)
      return { kind: 'answered', result, paced: true }
  }
}
