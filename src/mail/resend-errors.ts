import type { RateInfo, SendFailure } from './mailer'

/** The error part of a `resend` SDK answer. `statusCode: null` means no HTTP answer at all. */
export interface ResendErrorLike {
  name: string
  message: string
  statusCode: number | null
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  return Number.isFinite(n) && n >= 0 ? n : undefined
}

/** Reads the `ratelimit-*` headers (IETF draft, as sent by Resend). */
export function readRateInfo(headers: Record<string, string> | null | undefined): RateInfo | undefined {
  if (!headers) return undefined
  const limit = seconds(headers['ratelimit-limit'])
  const remaining = seconds(headers['ratelimit-remaining'])
  const reset = seconds(headers['ratelimit-reset'])
  if (limit === undefined && remaining === undefined && reset === undefined) return undefined
  return { limit, remaining, resetMs: reset === undefined ? undefined : reset * 1000 }
}

function retryAfterMs(headers: Record<string, string> | null | undefined): number | undefined {
  const retryAfter = seconds(headers?.['retry-after'])
  if (retryAfter !== undefined) return retryAfter * 1000
  const reset = seconds(headers?.['ratelimit-reset'])
  return reset === undefined ? undefined : reset * 1000
}

/**
 * Maps a provider error to what the sender should do: retry (with the same key), give up on this
 * email, or stop sending altogether for a while.
 */
export function classifyResendError(
  error: ResendErrorLike,
  headers: Record<string, string> | null | undefined,
): SendFailure {
  const base = {
    ok: false as const,
    code: error.name,
    message: error.message,
    rateLimit: readRateInfo(headers),
  }
  const status = error.statusCode
  if (status === null || status === undefined) return { ...base, retryable: true, code: 'network_error' }
  if (status === 429) {
    if (error.name === 'daily_quota_exceeded' || error.name === 'monthly_quota_exceeded') {
      return { ...base, status, retryable: false, systemic: 'quota', retryAfterMs: retryAfterMs(headers) }
    }
    return { ...base, status, retryable: true, retryAfterMs: retryAfterMs(headers) ?? 1000 }
  }
  if (status === 409 && error.name === 'invalid_idempotent_request') {
    // Same key, different body: an earlier attempt with this key reached the provider and was accepted.
    return { ...base, status, retryable: false, alreadyAccepted: true }
  }
  if (status === 409) return { ...base, status, retryable: true, retryAfterMs: 1000 }
  if (status === 401 || status === 403) return { ...base, status, retryable: false, systemic: 'auth' }
  if (status >= 500) return { ...base, status, retryable: true }
  return { ...base, status, retryable: false }
}
