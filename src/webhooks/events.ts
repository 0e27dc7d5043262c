/**
 * Resend's email events, read defensively from the (already verified) JSON payload. Resend documents
 * `data.tags` as an object (`{ kind: 'lesson' }`), while the send API takes tags as a list of
 * `{ name, value }`; both shapes are accepted so a change on either side does not lose the mapping.
 */

/** The event types this project acts on; any other type is acknowledged and ignored. */
export const HANDLED_EVENT_TYPES = [
  'email.delivered',
  'email.delivery_delayed',
  'email.opened',
  'email.clicked',
  'email.bounced',
  'email.complained',
  'email.failed',
  'email.suppressed',
] as const

export type EmailEventType = (typeof HANDLED_EVENT_TYPES)[number]

const HANDLED = new Set<string>(HANDLED_EVENT_TYPES)

/** One email event, as much of it as this project uses. */
export interface EmailEvent {
  type: EmailEventType
  /** When the provider says it happened (`created_at`), if it says so in a readable form. */
  occurredAt: Date | null
  /** The provider's id of the email (`data.email_id`): deliveries.provider_id. */
  emailId: string | null
  to: string[]
  /** The tags sent with the email (kind, lesson|newsletter|item, subscriber, delivery). */
  tags: Record<string, string>
  /** The clicked link (`email.clicked`). */
  link: string | null
  /** Hard or soft (`email.bounced`): only an explicit transient bounce is soft. */
  bounce: 'hard' | 'soft' | null
  /** A short human-readable note kept with the event (bounce message, failure reason). */
  detail: string | null
}

/** What a payload turned out to be: an event to record, a type to ignore, or not an event at all. */
export type ParsedEvent =
  | { kind: 'event'; event: EmailEvent }
  | { kind: 'ignored'; type: string }
  | { kind: 'malformed'; reason: string }

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A non-empty string, capped, without NUL (PostgreSQL text cannot hold it). */
const text = (value: unknown, max = 2000): string | null => {
  if (typeof value !== 'string') return null
  const clean = value.replaceAll('\u0000', '').slice(0, max)
  return clean === '' ? null : clean
}

/** Tags as a plain map, from either `{ name: value }` or `[{ name, value }]`; anything else is skipped. */
export function readTags(tags: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (Array.isArray(tags)) {
    for (const tag of tags) {
      if (isObject(tag) && typeof tag.name === 'string' && typeof tag.value === 'string')
        out[tag.name] = tag.value
    }
  } else if (isObject(tags)) {
    for (const [name, value] of Object.entries(tags)) if (typeof value === 'string') out[name] = value
  }
  return out
}

function readDate(value: unknown): Date | null {
  if (typeof value !== 'string') return null
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? null : date
}

/**
 * Resend sends `email.bounced` for mail the receiving server rejected; `bounce.type` says
 * `Permanent`, `Transient` or `Undetermined`. Only `Transient` is treated as soft: an undetermined
 * bounce is more often a dead mailbox than a full one, and mailing dead mailboxes hurts delivery for
 * everyone else.
 */
function readBounce(data: Json): { bounce: 'hard' | 'soft'; detail: string | null } {
  const bounce = isObject(data.bounce) ? data.bounce : {}
  const type = typeof bounce.type === 'string' ? bounce.type : ''
  const parts = [type, text(bounce.subType, 100), text(bounce.message, 500)].filter(Boolean)
  return {
    bounce: type.toLowerCase() === 'transient' ? 'soft' : 'hard',
    detail: parts.length > 0 ? parts.join(': ') : null,
  }
}

/** Reads a verified webhook payload. Never throws: odd shapes come back as `malformed`. */
export function parseEmailEvent(payload: unknown): ParsedEvent {
  if (!isObject(payload)) return { kind: 'malformed', reason: 'the payload is not a JSON object' }
  const type = payload.type
  if (typeof type !== 'string' || type === '') return { kind: 'malformed', reason: 'no event type' }
  if (!HANDLED.has(type)) return { kind: 'ignored', type: type.slice(0, 100) }
  const data = isObject(payload.data) ? payload.data : {}
  const event: EmailEvent = {
    type: type as EmailEventType,
    occurredAt: readDate(payload.created_at) ?? readDate(data.created_at),
    emailId: text(data.email_id, 200),
    to: Array.isArray(data.to) ? data.to.filter((to): to is string => typeof to === 'string') : [],
    tags: readTags(data.tags),
    link: null,
    bounce: null,
    detail: null,
  }
  if (type === 'email.clicked' && isObject(data.click)) event.link = text(data.click.link)
  if (type === 'email.bounced') Object.assign(event, readBounce(data))
  if (type === 'email.failed' && isObject(data.failed)) event.detail = text(data.failed.reason, 500)
  if (type === 'email.suppressed' && isObject(data.suppressed)) {
    const parts = [text(data.suppressed.type, 100), text(data.suppressed.message, 500)].filter(Boolean)
    event.detail = parts.length > 0 ? parts.join(': ') : null
  }
  return { kind: 'event', event }
}
