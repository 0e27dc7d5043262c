import type { Content } from '../content/catalog'
import type { Db, Queryable } from '../db/db'
import type { DeliveryKind } from '../db/rows'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'
import type { Mailer, OutgoingEmail } from '../mail/mailer'
import { type ComposeSettings, composeEmail } from './compose'
import type { Outcome, Policies } from './policy'
import { callThroughThrottle } from './provider-call'
import { type BatchEnd, endingOf, settleBatch } from './settle'
import { type Batch, loadMembers, type Member, type Removal, removeFromBatch } from './store/batches'
import type { CallWindow } from './throttle'

export interface SenderSettings {
  workerId: string
  leaseMs: number
  maxAttempts: number
  batchSize: number
  compose: ComposeSettings
}

export interface SenderDeps {
  db: Db
  mailer: Mailer
  /** Scheduling time: what is due, course planning, recorded timestamps (movable with `run-due --at`). */
  clock: Clock
  /** Real time: leases, the shared throttle, retry backoff. */
  realClock: Clock
  logger: Logger
  /** The current content (reloaded when files change). */
  content: () => Promise<Content>
  /** What each kind's owner says about its emails. */
  policies: Policies
  settings: SenderSettings
}

export interface SendReport {
  batches: number
  sent: number
  failed: number
  skipped: number
  retrying: number
  paused: { until: Date; reason: string | null } | null
}

export const emptyReport = (): SendReport => ({
  batches: 0,
  sent: 0,
  failed: 0,
  skipped: 0,
  retrying: 0,
  paused: null,
})

/** What one batch's send came to, and whether its provider call had to wait for the shared rate. */
export interface BatchSent {
  report: SendReport
  /** True when the call waited for its turn, false when it found its turn free, null with no call answered. */
  paced: boolean | null
}

/**
 * Sends one claimed batch and settles it: each kind's policy checks its emails again (first attempt
 * only), then compose, send through the shared throttle and the sender's window of `calls`, settle.
 * Once `signal` is aborted (the sender is stopping), a batch handed back is not counted as retrying.
 */
export async function sendBatch(
  deps: SenderDeps,
  batch: Batch,
  signal: AbortSignal,
  calls: CallWindow,
): Promise<BatchSent> {
  const { db, clock, logger, settings, policies } = deps
  const report = emptyReport()
  const content = await deps.content()
  const now = clock.now()
  const members = await loadMembers(db, batch.id)
  const attempted = batch.attempted_at !== null
  logger.info(
    { batchId: batch.id, members: members.length, attempts: batch.attempts, retry: attempted },
    'claimed batch',
  )
  // A retry repeats the first request exactly (same members, same key), or the provider could not
  // recognise it and a person might get the email twice: the policies decide only before it.
  const toSend = attempted ? members : await db.transaction((tx) => decide(policies, tx, members, now))
  report.skipped = members.length - toSend.length

  const outcomes: Outcome[] = []
  const sendable: { member: Member; email: OutgoingEmail }[] = []
  for (const member of toSend) {
    const email = composeEmail(member, content, settings.compose)
    if (email) sendable.push({ member, email })
    else outcomes.push({ member, sent: false, error: `content "${member.item}" not found` })
  }
  let ending: BatchEnd = { end: 'done', outcomes }
  let paced: boolean | null = null
  if (sendable.length > 0) {
    const call = await callThroughThrottle(
      { ...deps, calls },
      signal,
      batch,
      sendable.map((s) => s.email),
    )
    if (call.kind === 'paused') report.paused = { until: call.until, reason: call.reason }
    if (call.kind === 'answered') paced = call.paced
    ending = endingOf(call, { batch, sendable, earlier: outcomes, maxAttempts: settings.maxAttempts }, deps)
  }
  await settleBatch(db, batch, ending, policies, now)
  if (ending.end === 'later') {
    if (report.paused === null && !signal.aborted) report.retrying = sendable.length
    return { report, paced }
  }
  for (const outcome of ending.outcomes) {
    const ids = {
      deliveryId: outcome.member.id,
      subscriberId: outcome.member.subscriber_id,
      kind: outcome.member.kind,
      item: outcome.member.item,
    }
    if (outcome.sent) logger.info({ ...ids, providerId: outcome.providerId, batchId: batch.id }, 'sent')
    else logger.error({ ...ids, batchId: batch.id, error: outcome.error }, 'send failed for good')
  }
  report.sent = ending.outcomes.filter((o) => o.sent).length
  report.failed = ending.outcomes.length - report.sent
  return { report, paced }
}

/**
 * Hands a batch back for the next tick after its database connection was lost on the way (best
 * effort: the same key and members, so a retry is the same request). Without it the batch would wait
 * for its lease to run out.
 */
export async function handBack(deps: SenderDeps, batch: Batch): Promise<void> {
  await settleBatch(
    deps.db,
    batch,
    { end: 'later', at: deps.realClock.now(), error: 'database connection lost', countAttempt: false },
    deps.policies,
    deps.clock.now(),
  ).catch(() => {})
}

/**
 * Asks each kind's policy about its members (inside the batch's transaction, where the policy may
 * also write), takes out those not to send, and returns the rest in order.
 */
async function decide(policies: Policies, tx: Queryable, members: Member[], now: Date): Promise<Member[]> {
  const byKind = new Map<DeliveryKind, Member[]>()
  for (const member of members) byKind.set(member.kind, [...(byKind.get(member.kind) ?? []), member])
  const sending = new Set<number>()
  const removals: Removal[] = []
  for (const [kind, group] of byKind) {
    const decisions = await policies[kind].decide(tx, group, now)
    group.forEach((member, index) => {
      const decision = decisions[index] ?? { action: 'send' }
      if (decision.action === 'send') sending.add(member.id)
      else if (decision.action === 'postpone')
        removals.push({ id: member.id, how: 'postpone', until: decision.until })
      else if (decision.action === 'drop') removals.push({ id: member.id, how: 'drop' })
      else removals.push({ id: member.id, how: decision.action, reason: decision.reason })
    })
  }
  await removeFromBatch(tx, removals, now)
  return members.filter((member) => sending.has(member.id))
}
