import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Every link the project puts in emails and pages, and the signed tokens some of them carry (the
 * token proves the mailbox: confirm, unsubscribe, preferences), built and checked in one place.
 */

/**
 * What a token lets its holder do. A token made for one purpose is useless for another, and a
 * course's purposes name the course: a link to leave one course cannot leave another.
 * - `confirm:<course>`: confirm the address and start that course (`confirm`: any pending course; in
 *   emails sent before courses had names);
 * - `unsubscribe`: stop all mail; `leave:<course>`: leave one course; `leave:newsletter`: stop the newsletter;
 * - `preferences`: the preferences page; `start:<course>`: start another course (the reader's own
 *   email proves their mailbox); `next:<course>`: send the next lesson of that course now.
 */
export type TokenPurpose =
  | 'confirm'
  | `confirm:${string}`
  | 'unsubscribe'
  | `leave:${string}`
  | 'preferences'
  | `start:${string}`
  | `next:${string}`

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

const e = encodeURIComponent

/** A query string of the parameters that are set, in order. */
function query(params: Record<string, string | undefined>): string {
  const set = Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined)
  return set.length === 0 ? '' : `?${set.map(([key, value]) => `${key}=${e(value)}`).join('&')}`
}

/** Every public URL, from the site's base URL. */
export const urls = {
  home: (base: string) => `${base}/`,
  archive: (base: string) => `${base}/archive`,
  feed: (base: string) => `${base}/feed.xml`,
  course: (base: string, course: string) => `${base}/courses/${e(course)}`,
  courseFeed: (base: string, course: string) => `${base}/courses/${e(course)}/feed.xml`,
  lesson: (base: string, course: string, slug: string) => `${base}/courses/${e(course)}/lessons/${e(slug)}`,
  newsletter: (base: string, slug: string) => `${base}/newsletters/${e(slug)}`,
  /** Confirms the address and starts `course` (the token names it too). */
  confirm: (base: string, token: string, course?: string) => `${base}/confirm${query({ token, course })}`,
  /** "Send me the next lesson now": the lesson after `after`, of `course`. */
  next: (base: string, course: string, after: string, token: string) =>
    `${base}/courses/${e(course)}/next${query({ token, after })}`,
  /** Starts another course for someone already on the list. */
  start: (base: string, course: string, token: string) =>
    `${base}/courses/${e(course)}/start${query({ token })}`,
  /** `list`: the course (or `newsletter`) the link leaves; without it, all mail. */
  unsubscribe: (base: string, token?: string, list?: string) =>
    `${base}/unsubscribe${query({ token, list })}`,
  preferences: (base: string, token?: string) => `${base}/preferences${query({ token })}`,
}

/**
 * The link to an email's public web version (no personal data in it). `fromEmail`: the link in the
 * email itself, which tells the page its reader needs no signup form.
 */
export function viewInBrowserUrl(
  base: string,
  kind: 'lesson' | 'newsletter' | 'confirmation' | 'invitation',
  course: string | null,
  slug: string,
  options: { fromEmail?: boolean } = {},
): string {
  const from = options.fromEmail ? '?from=email' : ''
  if (kind === 'lesson' && course) return `${urls.lesson(base, course, slug)}${from}`
  if (kind === 'newsletter') return `${urls.newsletter(base, slug)}${from}`
  return course ? urls.course(base, course) : urls.home(base)
}
