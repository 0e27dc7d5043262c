import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** How long a dashboard login lasts. */
export const ADMIN_SESSION_MS = 12 * 60 * 60 * 1000

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

function sessionMac(secret: string, token: string, issuedAt: number): string {
  return createHmac('sha256', secret).update(`admin-session\n${issuedAt}\n${token}`).digest('base64url')
}

/**
 * The login cookie's value: when it was issued and an HMAC (keyed with SECRET) of that time and the
 * admin token. The token itself never leaves the server; changing ADMIN_TOKEN or SECRET ends every
 * session, and a copied cookie stops working after {@link ADMIN_SESSION_MS}.
 */
export function createSessionValue(secret: string, token: string, now: Date): string {
  const issuedAt = now.getTime()
  return `${issuedAt}.${sessionMac(secret, token, issuedAt)}`
}

/** Whether a cookie value is a current session for this token. */
export function verifySessionValue(
  secret: string,
  token: string,
  value: string | undefined,
  now: Date,
): boolean {
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{1,100})$/.exec(value ?? '')
  if (!match) return false
  const issuedAt = Number(match[1])
  const age = now.getTime() - issuedAt
  // A little room for clocks that disagree between web processes.
  if (age > ADMIN_SESSION_MS || age < -60_000) return false
  return secretsMatch(match[2]!, sessionMac(secret, token, issuedAt))
}
