import type { Queryable } from '../db/db'
import { countEngagement, markFirstSignal, markNotSent } from '../delivery/store/signals'
import { emitEvents } from '../events/store'
import { countSoftBounce, resetSoftBounces, type SignalTime, stopAfterSignal } from '../subscribers/status'
import type { EmailEvent } from './events'
import type { EventTarget } from './match'

/** What processing an event changed, for the log. */
export interface Effect {
  suppressed?: 'bounced' | 'complained'
  softBounces?: number
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
      if (d) await markFirstSignal(q, d.id, 'delivered_at', at, now)
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
      const first = d ? await markFirstSignal(q, d.id, 'bounced_at', at, now) : true
      if (who === null) break
      if (event.bounce === 'soft') {
        if (first) effect.softBounces = (await countSoftBounce(q, who, time, now)) ?? undefined
      } else if (await stopAfterSignal(q, who, 'bounced', time, now)) effect.suppressed = 'bounced'
      break
    }
    case 'email.complained':
      if (d) await markFirstSignal(q, d.id, 'complained_at', at, now)
      if (who !== null && (await stopAfterSignal(q, who, 'complained', time, now)))
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
      if (who !== null && (await stopAfterSignal(q, who, status, time, now))) effect.suppressed = status
      break
    }
    case 'email.delivery_delayed':
      // Recorded for the record; the provider keeps trying and reports the outcome later.
      break
  }
  // The provider's bad news goes on to other systems (outgoing webhooks), once per event.
  if (event.type === 'email.bounced' || event.type === 'email.complained')
    await emitEvents(
      q,
      [
        {
          type: event.type,
          subscriberId: who,
          data: {
            email: {
              delivery_id: d?.id ?? null,
              kind: d?.kind ?? event.tags.kind ?? null,
              course: event.tags.course ?? null,
              item: d?.item ?? null,
              provider_id: event.emailId,
              to: event.to,
            },
            subscriber: who === null ? null : { id: who, email: event.to[0] ?? null },
            ...(event.type === 'email.bounced' ? { bounce: event.bounce, detail: event.detail } : {}),
            suppressed: effect.suppressed === (event.type === 'email.bounced' ? 'bounced' : 'complained'),
          },
        },
      ],
      now,
    )
  return effect
}
