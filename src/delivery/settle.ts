import type { Db } from '../db/db'
import type { DeliveryKind } from '../db/rows'
import { emitEvents } from '../events/store'
import type { OutgoingEvent } from '../events/types'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'
import type { OutgoingEmail } from '../mail/mailer'
import type { Outcome, Policies } from './policy'
import type { CallResult } from './provider-call'
import { planRetry } from './retry'
import { type Batch, completeBatch, type Member, releaseBatch } from './store/batches'

/**
 * How a claimed batch ends: every claimed batch leaves through {@link settleBatch}, with one of these.
 * - `done`: the outcome of each email is known (sent, or failed for good): record them, complete the
 *   batch, and let each kind's policy say what follows.
 * - `later`: nothing is known to have happened for good (a retryable failure, a pause, a stop): hand
 *   the batch back, to be taken over at `at` and sent again as the same request.
 */
export type BatchEnd =
  | { end: 'done'; outcomes: readonly Outcome[] }
  | { end: 'later'; at: Date; error: string; countAttempt: boolean }

/** `email.sent`, for other systems that follow what the course sends. */
function sentEvent(member: Member, providerId: string | null, now: Date): OutgoingEvent {
  return {
    type: 'email.sent',
    subscriberId: member.subscriber_id,
    data: {
      email: {
        delivery_id: member.id,
        kind: member.kind,
        course: member.course,
        item: member.item,
        provider_id: providerId,
        sent_at: now.toISOString(),
      },
      subscriber: { id: member.subscriber_id, email: member.email },
    },
  }
}

/** The one place a claimed batch is settled. */
export async function settleBatch(
  db: Db,
  batch: Batch,
  ending: BatchEnd,
  policies: Policies,
  now: Date,
): Promise<void> {
  if (ending.end === 'later') {
    await releaseBatch(db, batch.id, {
      retryAt: ending.at,
      error: ending.error,
      countAttempt: ending.countAttempt,
    })
    return
  }
  const { outcomes } = ending
  await db.transaction(async (tx) => {
    await completeBatch(
      tx,
      batch.id,
      {
        sent: outcomes.flatMap((o) => (o.sent ? [{ id: o.member.id, providerId: o.providerId }] : [])),
        failed: outcomes.flatMap((o) => (o.sent ? [] : [{ id: o.member.id, error: o.error }])),
      },
      now,
    )
    await emitEvents(
      tx,
      outcomes.flatMap((o) => (o.sent ? [sentEvent(o.member, o.providerId, now)] : [])),
      now,
    )
    const byKind = new Map<DeliveryKind, Outcome[]>()
    for (const outcome of outcomes) {
      const list = byKind.get(outcome.member.kind) ?? []
      list.push(outcome)
      byKind.set(outcome.member.kind, list)
    }
    for (const [kind, list] of byKind) await policies[kind].settled?.(tx, list, now)
  })
}

/**
 * What the provider's answer (or its absence) means for the batch: accepted (each email's outcome),
 * refused for good, retried later with the same request (backoff, up to the attempt limit), or handed
 * back untouched (stopping, paused).
 */
export function endingOf(
  call: CallResult,
  sent: {
    batch: Batch
    sendable: readonly { member: Member; email: OutgoingEmail }[]
    /** Members already known to fail (their content is gone), recorded with the rest. */
    earlier: readonly Outcome[]
    maxAttempts: number
  },
  deps: { realClock: Clock; logger: Logger },
): BatchEnd {
  const { batch, sendable, earlier } = sent
  const { realClock, logger } = deps
  const all = (outcome: (member: Member) => Outcome): BatchEnd => ({
    end: 'done',
    outcomes: [...earlier, ...sendable.map(({ member }) => outcome(member))],
  })
  if (call.kind === 'stopped')
    return { end: 'later', at: realClock.now(), error: 'worker stopped', countAttempt: false }
  if (call.kind === 'paused') return { end: 'later', at: call.until, error: call.error, countAttempt: false }
  const { result } = call
  if (result.ok) {
    return {
      end: 'done',
      outcomes: [
        ...earlier,
        ...result.items.map((item, index): Outcome => {
          const { member } = sendable[index]!
          return item.ok
            ? { member, sent: true, providerId: item.providerId }
            : { member, sent: false, error: `${item.code}: ${item.message}` }
        }),
      ],
    }
  }
  if (result.alreadyAccepted) {
    // An earlier attempt with this key was accepted (the body has changed since): it went out.
    logger.warn({ batchId: batch.id }, 'provider already accepted this batch earlier; recording it as sent')
    return all((member) => ({ member, sent: true, providerId: null }))
  }
  if (!result.retryable)
    return all((member) => ({ member, sent: false, error: `${result.code}: ${result.message}` }))
  const plan = planRetry(batch.attempts, result, sent.maxAttempts, realClock.now())
  if (plan.giveUp) {
    logger.error({ batchId: batch.id, attempts: plan.attempts, error: plan.error }, 'batch failed for good')
    const error = `gave up after ${plan.attempts} attempts: ${plan.error}`
    return all((member) => ({ member, sent: false, error }))
  }
  logger.warn(
    { batchId: batch.id, attempts: plan.attempts, retryAt: plan.retryAt, error: plan.error },
    'send failed; will retry with the same idempotency key',
  )
  return { end: 'later', at: plan.retryAt, error: plan.error, countAttempt: plan.countAttempt }
}
