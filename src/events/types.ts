/**
 * The events other systems can subscribe to (outgoing webhooks). Each is written to the outbox in the
 * transaction of what caused it, with a stable id (the `webhook-id` header), and delivered later.
 */
export const EVENT_TYPES = [
  'subscriber.created',
  'subscriber.confirmed',
  'subscriber.unsubscribed',
  'enrolment.started',
  'enrolment.completed',
  'enrolment.left',
  'email.sent',
  'email.bounced',
  'email.complained',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value)
}

/** An event as emitted: its type, whom it is about, and its data (the payload's `data`). */
export interface OutgoingEvent {
  type: EventType
  subscriberId: number | null
  data: Record<string, unknown>
}

/** What an event says of a subscriber. */
export function subscriberData(s: {
  id: number
  email: string
  name: string | null
  timezone: string
  status: string
  newsletter_opt_in: boolean
  created_at: Date
  confirmed_at: Date | null
}) {
  return {
    subscriber: {
      id: s.id,
      email: s.email,
      name: s.name,
      timezone: s.timezone,
      status: s.status,
      newsletter: s.newsletter_opt_in,
      created_at: s.created_at.toISOString(),
      confirmed_at: s.confirmed_at?.toISOString() ?? null,
    },
  }
}
