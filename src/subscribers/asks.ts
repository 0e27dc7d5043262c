import { findEnrolment } from '../course/progress'
import type { Queryable } from '../db/db'
import type { Subscriber } from '../db/rows'
import type { Decision, DeliveryPolicy } from '../delivery/policy'
import { countAsksSince, hasWaitingAsk, queueEmails } from '../delivery/store/queue'
import { askedSinceLeaving } from './status'
import { updateSubscriber } from './store'

/**
 * Asks: the emails that ask the owner of an address to act (confirm it, or start a course they were
 * signed up for). Anyone can type an address into a form, so asks to one address are spaced out,
 * whatever its state: the form cannot be used to flood a stranger's inbox.
 */

const MINUTE = 60 * 1000
const DAY = 24 * 60 * MINUTE

/** The first ask a person asks for again waits this long after the one before. */
export const CONFIRMATION_INTERVAL_MS = 10 * MINUTE
/** Asks counted for the growing wait: those of the last week. */
export const CONFIRMATION_WINDOW_MS = 7 * DAY

/**
 * How long after the last ask another may go to the same address, given how many went in the last
 * week: 10 minutes, then 1 hour, 6 hours, 36 hours, then a week. A few a day at most, and then less and
 * less. Someone who truly wants the course sees the first email within minutes.
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

/**
 * When the next ask to this person may go: now, or once the wait after the last one (which may itself
 * still be waiting) is over.
 */
export async function nextAskAt(q: Queryable, s: Subscriber, now: Date): Promise<Date> {
  const last = s.confirmation_sent_at
  if (!last) return now
  const byStatus = askedSinceLeaving(s) ? confirmationInterval(s.status) : 0
  const recent = await countAsksSince(q, s.id, new Date(now.getTime() - CONFIRMATION_WINDOW_MS))
  const at = last.getTime() + Math.max(byStatus, confirmationWait(recent))
  return at > now.getTime() ? new Date(at) : now
}

/**
 * Queues an ask for one course: a confirmation of the address, or an invitation to start it. It goes
 * now, or when the wait after the last ask is over (a request is never dropped, only spaced out); if
 * one for this course still waits, that one will do and nothing is added. Returns the ask queued, or
 * null. The caller holds the person's row lock.
 */
export async function askFor(
  q: Queryable,
  s: Subscriber,
  kind: 'confirmation' | 'invitation',
  course: string,
  now: Date,
): Promise<{ id: number; dueAt: Date } | null> {
  if (await hasWaitingAsk(q, s.id, course)) return null
  const dueAt = await nextAskAt(q, s, now)
  const [queued] = await queueEmails(q, [{ subscriberId: s.id, kind, course, item: null, dueAt }], now)
  await updateSubscriber(q, s.id, { confirmation_sent_at: dueAt }, now)
  return { id: queued!.id, dueAt }
}

/**
 * Queues the confirmations of new addresses (their first ask: each goes at its signup's time), in one
 * statement. Returns each one's delivery id by subscriber.
 */
export async function queueFirstAsks(
  q: Queryable,
  asks: readonly { subscriberId: number; course: string; now: Date }[],
  now: Date,
): Promise<Map<number, number>> {
  const queued = await queueEmails(
    q,
    asks.map((ask) => ({
      subscriberId: ask.subscriberId,
      kind: 'confirmation' as const,
      course: ask.course,
      item: null,
      dueAt: ask.now,
    })),
    now,
  )
  return new Map(queued.map((row) => [row.subscriberId, row.id]))
}

/**
 * What signup says about confirmation emails before the first attempt: someone confirmed meanwhile
 * (another link, an earlier email) needs no more, unless the course it is for still waits for them
 * (its link starts it). Everyone else asked for it, including people who left and want to come back,
 * and an unsubscribe since then has already taken it out of the queue.
 */
export const confirmationPolicy: DeliveryPolicy = {
  async decide(tx, members) {
    const decisions: Decision[] = []
    for (const member of members) {
      if (member.status !== 'confirmed') {
        decisions.push({ action: 'send' })
        continue
      }
      // Confirmed meanwhile (through another course's link): its link still starts this course, if
      // they have not started it some other way.
      const enrolment = member.course
        ? await findEnrolment(tx, member.subscriber_id, member.course)
        : undefined
      decisions.push(
        enrolment?.status === 'pending'
          ? { action: 'send' }
          : { action: 'skip', reason: 'already confirmed' },
      )
    }
    return decisions
  },
}

/**
 * An invitation to start a course goes only to someone still on the list who has not started it
 * meanwhile (from another link, say).
 */
export const invitationPolicy: DeliveryPolicy = {
  async decide(tx, members) {
    const decisions: Decision[] = []
    for (const member of members) {
      const enrolment = member.course
        ? await findEnrolment(tx, member.subscriber_id, member.course)
        : undefined
      if (member.status !== 'confirmed')
        decisions.push({ action: 'skip', reason: `subscriber ${member.status}` })
      else if (enrolment?.status === 'active' || enrolment?.status === 'paused')
        decisions.push({ action: 'skip', reason: 'already started' })
      else decisions.push({ action: 'send' })
    }
    return decisions
  },
}
