import { continueCourse } from '../course/lessons'
import type { Queryable } from '../db/db'
import type { Subscriber } from '../db/rows'
import type { Decision, DeliveryPolicy } from '../delivery/policy'
import { countConfirmationsSince, queueEmails } from '../delivery/store/queue'
import { verifyToken } from '../lib/links'
import { maskEmail } from '../lib/logger'
import { canonicalZone } from '../lib/timezones'
import { CONSENT_VERSION } from './consent'
import type { SubscriberDeps } from './deps'
import { clearErasureRecord } from './erased'
import { askedSinceLeaving, confirm } from './status'
import { findSubscriberById, findSubscriberByKey, insertSubscriber, updateSubscriber } from './store'
import { checkEmail, checkName, cleanTimezone } from './validate'

const MINUTE = 60 * 1000
const DAY = 24 * 60 * MINUTE

/** The first confirmation a person asks for again waits this long after the one before. */
export const CONFIRMATION_INTERVAL_MS = 10 * MINUTE
/** Confirmations counted for the growing wait: those of the last week. */
export const CONFIRMATION_WINDOW_MS = 7 * DAY

/**
 * How long after the last confirmation another may go to the same address, given how many went in
 * the last week: 10 minutes, then 1 hour, 6 hours, 36 hours, then a week. A few a day at most, and
 * then less and less, whatever the address's state, so the form cannot be used to flood a stranger's
 * inbox. Someone who truly wants the course sees the first email within minutes.
 */
export function confirmationWait(sentThisWeek: number): number {
  if (sentThisWeek <= 0) return 0
  return Math.min(CONFIRMATION_WINDOW_MS, CONFIRMATION_INTERVAL_MS * 6 ** (sentThisWeek - 1))
}

/**
 * The least wait by status: people who left may come back through the form (the first request after
 * leaving is always answered), but not again and again: once a day after an unsubscribe, once a month
 * after a bounce or a complaint (mailbox providers punish that mail).
 */
export function confirmationInterval(status: Subscriber['status']): number {
  if (status === 'complained' || status === 'bounced') return 30 * DAY
  if (status === 'unsubscribed') return DAY
  return CONFIRMATION_INTERVAL_MS
}

/** Whether another confirmation to this person must wait, from their state and what was sent lately. */
async function confirmationTooSoon(q: Queryable, s: Subscriber, now: Date): Promise<boolean> {
  const sent = s.confirmation_sent_at
  if (!sent) return false
  const byStatus = askedSinceLeaving(s) ? confirmationInterval(s.status) : 0
  const recent = await countConfirmationsSince(q, s.id, new Date(now.getTime() - CONFIRMATION_WINDOW_MS))
  return now.getTime() - sent.getTime() < Math.max(byStatus, confirmationWait(recent))
}

export interface SignupInput {
  email?: unknown
  name?: unknown
  timezone?: unknown
  newsletter?: unknown
  /** Honeypot: people never see this field; bots fill it. */
  website?: unknown
}

export interface SignupContext {
  /** Which form or API took the signup, recorded as part of the consent. */
  source: string
  ip: string | null
}

/** Each field's problem, in words for the person who typed it. */
export interface SignupErrors {
  email?: string
  name?: string
}

export type SignupResult = { ok: true; stored: boolean } | { ok: false; errors: SignupErrors }

function wantsNewsletter(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true
  return !['0', 'false', 'off', 'no', false].includes(value as string)
}

/** Queues a confirmation email to go now; its link expires 7 days after this. */
async function queueConfirmation(q: Queryable, subscriberId: number, now: Date): Promise<number> {
  const [queued] = await queueEmails(q, [{ subscriberId, kind: 'confirmation', item: null, dueAt: now }], now)
  return queued!.id
}

/**
 * A signup from the form or the JSON API. The answer is the same whether the address is new, pending
 * or confirmed (no enumeration). New and pending addresses get a confirmation email (pending ones at
 * most one per 10 minutes); confirmed ones are left alone; people who left get a confirmation and
 * come back only by confirming it.
 */
export async function subscribe(
  deps: SubscriberDeps,
  input: SignupInput,
  context: SignupContext,
): Promise<SignupResult> {
  const checked = checkEmail(input.email)
  const checkedName = checkName(input.name)
  if (!checked.ok || !checkedName.ok)
    return {
      ok: false,
      errors: {
        ...(checked.ok ? {} : { email: checked.message }),
        ...(checkedName.ok ? {} : { name: checkedName.message }),
      },
    }
  if (typeof input.website === 'string' && input.website.trim() !== '') {
    deps.logger.info({ source: context.source }, 'signup dropped: honeypot filled')
    return { ok: true, stored: false }
  }
  const now = deps.clock.now()
  const name = checkedName.name
  const timezone = cleanTimezone(input.timezone)
  // A new address: the person and their confirmation, together or not at all.
  const created = await deps.db.transaction(async (tx) => {
    const inserted = await insertSubscriber(
      tx,
      {
        email: checked.email,
        key: checked.key,
        name,
        timezone,
        status: 'pending',
        consentAt: now,
        consentSource: context.source,
        consentIp: context.ip,
        consentTextVersion: CONSENT_VERSION,
        confirmedAt: null,
        newsletterOptIn: wantsNewsletter(input.newsletter),
        confirmationSentAt: now,
      },
      now,
    )
    return inserted
      ? { subscriberId: inserted.id, deliveryId: await queueConfirmation(tx, inserted.id, now) }
      : null
  })
  if (created) {
    deps.logger.info(
      { subscriberId: created.subscriberId, email: maskEmail(checked.email) },
      'signup: new subscriber',
    )
    deps.sendSoon([created.deliveryId])
    return { ok: true, stored: true }
  }
  // The address is known: decide from its state, in a transaction that locks its row.
  const confirmationId = await deps.db.transaction(async (tx) => {
    const existing = await findSubscriberByKey(tx, checked.key, true)
    // Gone since the insert found it (erased at that very moment): nothing to confirm.
    if (!existing) return null
    if (existing.status === 'confirmed' || (await confirmationTooSoon(tx, existing, now))) return null
    // Not yet confirmed, or left earlier: refresh what they typed and the consent record, then ask again.
    const refreshed = await updateSubscriber(
      tx,
      existing.id,
      {
        ...(name ? { name } : {}),
        // A signup without JavaScript carries no zone: keep the one we had rather than reset it to UTC.
        ...(canonicalZone(input.timezone) ? { timezone } : {}),
        ...(existing.status === 'pending' ? {} : { newsletter_opt_in: wantsNewsletter(input.newsletter) }),
        consent_at: now,
        consent_source: context.source,
        consent_ip: context.ip,
        consent_text_version: CONSENT_VERSION,
        confirmation_sent_at: now,
      },
      now,
    )
    deps.logger.info(
      { subscriberId: existing.id, status: existing.status },
      'signup: confirmation asked again',
    )
    return queueConfirmation(tx, refreshed.id, now)
  })
  if (confirmationId !== null) deps.sendSoon([confirmationId])
  return { ok: true, stored: true }
}

export type ConfirmResult =
  | { ok: true; alreadyConfirmed: boolean; subscriber: Subscriber }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'expired'; subscriberId: number }

/**
 * Confirms a subscription (the POST behind the confirmation page's button: link scanners only GET).
 * Enrolls the person in the course and sends lesson day 0 right away; someone coming back after
 * leaving resumes where they were. Confirming twice is harmless.
 */
export async function confirmSubscription(
  deps: SubscriberDeps,
  token: string | undefined,
): Promise<ConfirmResult> {
  const now = deps.clock.now()
  const check = verifyToken(deps.secret, 'confirm', token, now)
  if (!check.ok)
    return check.reason === 'expired'
      ? { ok: false, reason: 'expired', subscriberId: check.subscriberId }
      : { ok: false, reason: 'invalid' }
  const outcome = await deps.db.transaction(async (tx) => {
    const s = await findSubscriberById(tx, check.subscriberId, true)
    if (!s) return { result: { ok: false, reason: 'invalid' } as ConfirmResult, lessonIds: [] }
    if (s.status === 'confirmed')
      return { result: { ok: true, alreadyConfirmed: true, subscriber: s } as ConfirmResult, lessonIds: [] }
    // Someone who left (or whose mail bounced or who complained) returns only through a confirmation
    // they asked for after leaving, never through an older link.
    if (!askedSinceLeaving(s))
      return { result: { ok: false, reason: 'invalid' } as ConfirmResult, lessonIds: [] }
    const confirmed = await confirm(tx, s, now)
    await clearErasureRecord(tx, confirmed.email_key)
    // The course starts, or continues where they were (the days away move the rest along).
    const lessonIds = await continueCourse(
      tx,
      { subscriberId: s.id, timezone: s.timezone },
      s.unsubscribed_at,
      deps.course(),
      now,
      { unpause: true },
    )
    return {
      result: { ok: true, alreadyConfirmed: false, subscriber: confirmed } as ConfirmResult,
      lessonIds,
    }
  })
  if (outcome.result.ok && !outcome.result.alreadyConfirmed) {
    deps.logger.info({ subscriberId: outcome.result.subscriber.id }, 'subscription confirmed')
  }
  deps.sendSoon(outcome.lessonIds)
  return outcome.result
}

/** Sends a fresh confirmation link to the owner of an expired one (the same limits as signups). */
export async function resendConfirmation(deps: SubscriberDeps, subscriberId: number): Promise<void> {
  const now = deps.clock.now()
  const id = await deps.db.transaction(async (tx) => {
    const s = await findSubscriberById(tx, subscriberId, true)
    if (!s || s.status === 'confirmed' || (await confirmationTooSoon(tx, s, now))) return null
    await updateSubscriber(tx, s.id, { confirmation_sent_at: now }, now)
    return queueConfirmation(tx, s.id, now)
  })
  if (id !== null) deps.sendSoon([id])
}

/**
 * What signup says about confirmation emails before the first attempt: someone confirmed meanwhile
 * (another link, an earlier email) needs no more. Everyone else asked for it, including people who
 * left and want to come back, and an unsubscribe since then has already taken it out of the queue.
 */
export const confirmationPolicy: DeliveryPolicy = {
  async decide(_tx, members) {
    return members.map(
      (member): Decision =>
        member.status === 'confirmed' ? { action: 'skip', reason: 'already confirmed' } : { action: 'send' },
    )
  },
}
