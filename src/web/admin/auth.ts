import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { RateLimiter } from '../security'

/** Wrong admin tokens per client address in {@link ADMIN_ATTEMPT_WINDOW_MS}: guessing stays slow. */
export const ADMIN_ATTEMPTS = 10
export const ADMIN_ATTEMPT_WINDOW_MS = 15 * 60 * 1000

// A fresh key per process: it only serves to give both sides of a comparison the same length.
const COMPARE_KEY = randomBytes(32)

/**
 * Compares two secrets in constant time. `===` stops at the first differing character, and
 * `timingSafeEqual` alone throws on different lengths (revealing the length); comparing HMAC digests
 * of both avoids both leaks.
 */
export function secretsMatch(presented: string, expected: string): boolean {
  const a = createHmac('sha256', COMPARE_KEY).update(presented).digest()
  const b = createHmac('sha256', COMPARE_KEY).update(expected).digest()
  return timingSafeEqual(a, b)
}

/** The token from `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}

/** A presented admin token: right, wrong, or wrong while its address is locked out (wait this long). */
export type TokenVerdict = { ok: true } | { ok: false; retryAfterMs: number }

/** Judges a token presented from a client address (the rate-limit key) at a time. */
export type TokenCheck = (presented: string, client: string, now: Date) => TokenVerdict

/**
 * Checks admin tokens from the login form and bearer headers alike, counting wrong ones per client
 * address in one window (per process, as the signup limit). The token is compared first and the
 * right one always passes: a lock-out must not let someone sharing the admin's address (a NAT, or
 * every client behind a proxy without TRUST_PROXY) keep the admin out. Only wrong tokens count, and
 * only they are answered "wait".
 */
export function adminTokenChecker(expected: string): TokenCheck {
  const limiter = new RateLimiter(ADMIN_ATTEMPTS, ADMIN_ATTEMPT_WINDOW_MS)
  return (presented, client, now) => {
    if (secretsMatch(presented, expected)) return { ok: true }
    return { ok: false, retryAfterMs: limiter.hit(client, now.getTime()) }
  }
}
