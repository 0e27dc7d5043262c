/** One email to one person, ready to hand to a transport. */
export interface OutgoingEmail {
  from: string
  to: string
  subject: string
  html: string
  text: string
  replyTo?: string
  /** Extra headers, e.g. List-Unsubscribe (RFC 8058). */
  headers: Record<string, string>
  /** Provider tags (ASCII letters, digits, `_`, `-`), echoed back by webhooks. */
  tags: { name: string; value: string }[]
  /** Stable id of this email in the queue (the delivery id), for transports that deduplicate per email. */
  ref?: string
}

/** What the provider said about its rate limit, when it said anything. */
export interface RateInfo {
  limit?: number
  remaining?: number
  /** Milliseconds until the window resets. */
  resetMs?: number
}

/** A send that did not happen (or whose outcome is unknown). Expected failures are values, not exceptions. */
export interface SendFailure {
  ok: false
  /** Worth trying again with the same idempotency key (network, timeout, 5xx, 429). */
  retryable: boolean
  code: string
  message: string
  status?: number
  /** How long the provider asked us to wait (429 retry-after / ratelimit-reset). */
  retryAfterMs?: number
  /** Affects every email, not this one: stop sending for a while (quota used up, key refused). */
  systemic?: 'quota' | 'auth'
  /** The key was already used with another body: the provider accepted an earlier attempt. */
  alreadyAccepted?: boolean
  rateLimit?: RateInfo
}

export type SingleResult = { ok: true; providerId: string; rateLimit?: RateInfo } | SendFailure

/** Per-email outcome inside an accepted batch. */
export type ItemResult = { ok: true; providerId: string } | { ok: false; code: string; message: string }

export type BatchResult = { ok: true; items: ItemResult[]; rateLimit?: RateInfo } | SendFailure

/**
 * The mail port: Resend in production, a Maildir outbox locally. Both honour idempotency keys: the
 * same key with the same emails sends nothing new and answers as the first time.
 */
export interface Mailer {
  readonly transport: 'resend' | 'outbox'
  send(email: OutgoingEmail, options: { idempotencyKey: string }): Promise<SingleResult>
  /** Up to 100 emails, one recipient each. */
  sendBatch(emails: OutgoingEmail[], options: { idempotencyKey: string }): Promise<BatchResult>
}
