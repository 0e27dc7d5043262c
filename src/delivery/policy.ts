import type { Queryable } from '../db/db'
import type { DeliveryKind } from '../db/rows'
import type { Member } from './store/batches'

/** What to do with one claimed email, decided right before the first attempt. */
export type Decision =
  | { action: 'send' }
  /** Never send it (they left, turned the newsletter off, …); the row keeps the reason. */
  | { action: 'skip'; reason: string }
  /** Forget the row: it is planned again later (a paused course resumes with it). */
  | { action: 'drop' }
  /** Its content no longer exists: record that. */
  | { action: 'cancel'; reason: string }
  /** Hold it until then (a newsletter on a lesson day). */
  | { action: 'postpone'; until: Date }

/** How a member's email ended: sent (with the provider's id when known) or failed for good. */
export type Outcome =
  | { member: Member; sent: true; providerId: string | null }
  | { member: Member; sent: false; error: string }

/**
 * The domain's say over the emails of one kind. The engine claims, sends and records; whether an
 * email is still wanted, and what follows it, belongs to the kind's owner (the course plans the next
 * lesson, the newsletter respects the opt-out). Both calls run inside the batch's transaction and may
 * write (queue a replacement lesson, move a reader's course on).
 */
export interface DeliveryPolicy {
  /** One decision per member, in order. Called only before a batch's first provider call. */
  decide(tx: Queryable, members: readonly Member[], now: Date): Promise<Decision[]>
  /** After the outcomes of this kind are recorded, in the same transaction. */
  settled?(tx: Queryable, outcomes: readonly Outcome[], now: Date): Promise<void>
}

/** A policy for every kind of email. */
export type Policies = Readonly<Record<DeliveryKind, DeliveryPolicy>>
