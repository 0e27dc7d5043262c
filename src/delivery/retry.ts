import type { SendFailure } from '../mail/mailer'

/** Exponential backoff with full jitter: 30 s, 1 min, 2 min … capped at one hour. */
export function backoffMs(attempt: number, random = Math.random): number {
  const ceiling = Math.min(60 * 60 * 1000, 30_000 * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

export type RetryPlan =
  | { giveUp: true; attempts: number; error: string }
  | { giveUp: false; attempts: number; error: string; retryAt: Date; countAttempt: boolean }

/**
 * What to do after a retryable failure: try the same request again later, or give up once the
 * attempts run out. A 429 or a request still in flight under the same key is not a failed attempt:
 * nothing went wrong yet, so it waits as asked and does not use up the limit.
 */
export function planRetry(
  previousAttempts: number,
  failure: SendFailure,
  maxAttempts: number,
  now: Date,
  random = Math.random,
): RetryPlan {
  const countAttempt = failure.status !== 429 && failure.code !== 'concurrent_idempotent_requests'
  const attempts = previousAttempts + (countAttempt ? 1 : 0)
  const error = `${failure.code}: ${failure.message}`
  if (countAttempt && attempts >= maxAttempts) return { giveUp: true, attempts, error }
  const waitMs = countAttempt
    ? Math.max(backoffMs(attempts, random), failure.retryAfterMs ?? 0)
    : (failure.retryAfterMs ?? 1000)
  return { giveUp: false, attempts, error, retryAt: new Date(now.getTime() + waitMs), countAttempt }
}
