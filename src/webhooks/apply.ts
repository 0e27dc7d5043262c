import type { Queryable } from '../db/db'
import type { EmailEvent } from './events'
import type { EventTarget } from './match'
import { countSoftBounce, resetSoftBounces, type SignalTime, suppressSubscriber } from './suppress'

/** What processing an event changed, for the log. */
export interface Effect {
  suppressed?: 'bounced' | 'complained'
  softBounces?: number
}

/** Sets a delivery's first-seen time for this signal; returns whether it was the first. */
async function markDelivery(
  q: Queryable,
  deliveryId: number,
  column: 'delivered_at' | 'opened_at' | 'clicked_at' | 'bounced_at' | 'complained_at',
  at: Date,
  now: Date,
): Promise<boolean> {
  // The column name comes from the fixed union above, never from the payload. Only a null column is
  // set, so concurrent reports of the same signal agree on which one was first.
  const { rowCount } = await q.query(
    `update deliveries set ${column} = $2, updated_at = $3 where id = $1 and ${column} is null`,
    [deliveryId, at, now],
  )
  return rowCount > 0
}

async function countEngagement(
  q: Queryable,
  deliveryId: number,
  kind: 'open' | 'click',
  at: Date,
  now: Date,
): Promise<void> {
  const sql =
    kind === 'open'
      ? 'update deliveries set opened_at = coalesce(opened_at, $2), open_count = open_count + 1, updated_at = $3 where id = $1'
      : 'update deliveries set clicked_at = coalesce(clicked_at, $2), click_count = click_count + 1, updated_at = $3 where id = $1'
  await q.query(sql, [deliveryId, at, now])
}

/** The provider did not send it after all (`email.failed`, `email.suppressed`): say so on the row. */
async function markNotSent(q: Queryable, deliveryId: number, reason: string, now: Date): Promise<void> {
  await q.query(
    `update deliveries set status = case when status = 'sent' then 'failed' else status end,
       last_error = $2, updated_at = $3 where id = $1`,
    [deliveryId, reason, now],
  )
}

/**
 * Applies one event's effect on the delivery and the person. Runs inside the transaction that marks
 * the event processed, so each event takes effect exactly once: counters may simply add one.
 */
export async function applyEvent(
  q: Queryable,
  event: EmailEvent,
  target: EventTarget,
  at: Date,
  now: Date,
): Promise<Effect> {
  const d = target.delivery
  const who = target.subscriberId
  // A confirmation email is sent before the person confirms: it never predates their confirmation.
  const time: SignalTime = { at, emailSentAt: d && d.kind !== 'confirmation' ? d.sentAt : null }
  const effect: Effect = {}
  switch (event.type) {
    case 'email.delivered':
      if (d) await markDelivery(q, d.id, 'delivered_at', at, now)
      if (who !== null) await resetSoftBounces(q, who, now)
      break
    case 'email.opened':
      if (d) await countEngagement(q, d.id, 'open', at, now)
      break
    case 'email.clicked':
      if (d) await countEngagement(q, d.id, 'click', at, now)
      break
    case 'email.bounced': {
      // Repeated bounce reports for one email count once towards the soft-bounce limit.
      const first = d ? await markDelivery(q, d.id, 'bounced_at', at, now) : true
      if (who === null) break
      if (event.bounce === 'soft') {
        if (first) effect.softBounces = (await countSoftBounce(q, who, time, now)) ?? undefined
      } else if (await suppressSubscriber(q, who, 'bounced', time, now)) effect.suppressed = 'bounced'
      break
    }
    case 'email.complained':
      if (d) await markDelivery(q, d.id, 'complained_at', at, now)
      if (who !== null && (await suppressSubscriber(q, who, 'complained', time, now)))
        effect.suppressed = 'complained'
      break
    case 'email.failed':
      if (d) await markNotSent(q, d.id, `provider failed: ${event.detail ?? 'no reason given'}`, now)
      break
    case 'email.suppressed': {
      // The provider refuses this address (an earlier bounce or complaint on its list): mailing it
      // again only burns quota, so stop as for the original signal.
      if (d) await markNotSent(q, d.id, `provider suppressed: ${event.detail ?? 'on its list'}`, now)
      const status = /complain/i.test(event.detail ?? '') ? 'complained' : 'bounced'
      if (who !== null && (await suppressSubscriber(q, who, status, time, now))) effect.suppressed = status
      break
    }
    case 'email.delivery_delayed':
      // Recorded for the record; the provider keeps trying and reports the outcome later.
      break
  }
  return effect
}
