import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Every link the project puts in emails and pages, and the signed tokens some of them carry (the
 * token proves the mailbox: confirm, unsubscribe, preferences), built and checked in one place.
 */

/** What a token lets its holder do. A token made for one purpose is useless for another. */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences'

/** Confirmation links expire after 7 days; unsubscribe and preferences links do not (they sit in old emails). */
export const CONFIRM_TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000

export type TokenCheck =
  | { ok: true; subscriberId: number }
  | { ok: false; reason: 'malformed' | 'forged' }
  | { ok: false; reason: 'expired'; subscriberId: number }

function mac(secret: string, purpose: TokenPurpose, id: string, expires: string): Buffer {
  return createHmac('sha256', secret).update(`${purpose}\n${id}\n${expires}`).digest()
}

/**
 * `<id>.<expiry, base 36 seconds, 0 = never>.<HMAC-SHA256 over purpose, id and expiry>`, URL-safe.
 * Holds no personal data and needs no storage.
 */
export function createToken(
  secret: string,
  purpose: TokenPurpose,
  subscriberId: number,
  expiresAt?: Date,
): string {
  const id = subscriberId.toString(36)
  const expires = expiresAt ? Math.ceil(expiresAt.getTime() / 1000).toString(36) : '0'
  return `${id}.${expires}.${mac(secret, purpose, id, expires).toString('base64url')}`
}

/** Checks a token in constant time. A genuine but expired token still names its subscriber (to offer a fresh link). */
export function verifyToken(
  secret: string,
  purpose: TokenPurpose,
  token: string | undefined | null,
  now: Date,
): TokenCheck {
  if (!token || token.length > 200) return { ok: false, reason: 'malformed' }
  const match = /^([0-9a-z]{1,13})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{43})$/.exec(token)
  if (!match) return { ok: false, reason: 'malformed' }
  const [, id, expires, signature] = match as unknown as [string, string, string, string]
  const given = Buffer.from(signature, 'base64url')
  // 43 base64url characters carry 258 bits for a 256-bit MAC: four spellings of the last character
  // decode alike. Only the one createToken writes is accepted, as for the id and the expiry (plain
  // base 36, no leading zeros), so each token has exactly one form.
  if (given.toString('base64url') !== signature) return { ok: false, reason: 'malformed' }
  if (!/^(0|[1-9a-z][0-9a-z]*)$/.test(expires) || id.startsWith('0'))
    return { ok: false, reason: 'malformed' }
  const expected = mac(secret, purpose, id, expires)
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'forged' }
  const subscriberId = Number.parseInt(id, 36)
  const expiry = Number.parseInt(expires, 36)
  if (expiry !== 0 && expiry * 1000 < now.getTime()) return { ok: false, reason: 'expired', subscriberId }
  return { ok: true, subscriberId }
}

/** Every public URL, from the site's base URL. */
export const urls = {
  home: (base: string) => `${base}/`,
  archive: (base: string) => `${base}/archive`,
  feed: (base: string) => `${base}/feed.xml`,
  lesson: (base: string, slug: string) => `${base}/lessons/${encodeURIComponent(slug)}`,
  newsletter: (base: string, slug: string) => `${base}/newsletters/${encodeURIComponent(slug)}`,
  confirm: (base: string, token: string) => `${base}/confirm?token=${encodeURIComponent(token)}`,
  unsubscribe: (base: string, token?: string) =>
    token ? `${base}/unsubscribe?token=${encodeURIComponent(token)}` : `${base}/unsubscribe`,
  preferences: (base: string, token?: string) =>
    token ? `${base}/preferences?token=${encodeURIComponent(token)}` : `${base}/preferences`,
}

/** The link to an email's public web version (no personal data in it). */
export function viewInBrowserUrl(
  base: string,
  kind: 'lesson' | 'newsletter' | 'confirmation',
  slug: string,
): string {
  if (kind === 'lesson') return urls.lesson(base, slug)
  if (kind === 'newsletter') return urls.newsletter(base, slug)
  return urls.home(base)
}
