import { randomBytes } from 'node:crypto'
import type { Queryable } from '../db/db'
import type { EventType, OutgoingEvent } from './types'

/**
 * The outbox of outgoing webhooks: endpoints, events, one delivery per event and endpoint, and each
 * attempt's answer. Every statement on those tables is here.
 */

export interface Endpoint {
  id: number
  url: string
  events: string[]
  secret: string
  description: string | null
  created_at: Date
  disabled_at: Date | null
  disabled_reason: string | null
}

/** An id that sorts by time and never repeats: `evt_` + milliseconds and 10 random bytes, base 36 / hex. */
export function newEventId(now: Date): string {
  return `evt_${now.getTime().toString(36).padStart(9, '0')}${randomBytes(10).toString('hex')}`
}

/**
 * Writes events to the outbox, with a delivery for each enabled endpoint that wants them, in the
 * caller's transaction: if it commits, the events will be delivered; if not, they never existed.
 * Events no endpoint wants are not written at all.
 */
export async function emitEvents(q: Queryable, events: readonly OutgoingEvent[], now: Date): Promise<void> {
  if (events.length === 0) return
  const { rows: endpoints } = await q.query<{ id: number; events: string[] }>(
    'select id, events from webhook_endpoints where disabled_at is null',
  )
  if (endpoints.length === 0) return
  const wanted = (type: EventType) => endpoints.some((e) => e.events.length === 0 || e.events.includes(type))
  const kept = events.filter((event) => wanted(event.type))
  if (kept.length === 0) return
  const ids = kept.map(() => newEventId(now))
  const payloads = kept.map((event) =>
    JSON.stringify({ type: event.type, timestamp: now.toISOString(), data: event.data }),
  )
  await q.query(
    `with ev as (
       insert into webhook_events (id, type, subscriber_id, payload, created_at)
       select id, type, subscriber_id, payload::jsonb, $5 from unnest($1::text[], $2::text[], $3::bigint[], $4::text[])
         as v(id, type, subscriber_id, payload)
       returning id, type
     )
     insert into webhook_deliveries (event_id, endpoint_id, next_attempt_at, created_at)
     select ev.id, ep.id, $5, $5 from ev
     join webhook_endpoints ep on ep.disabled_at is null and (cardinality(ep.events) = 0 or ev.type = any(ep.events))`,
    [ids, kept.map((e) => e.type), kept.map((e) => e.subscriberId), payloads, now],
  )
}

export async function addEndpoint(
  q: Queryable,
  endpoint: { url: string; events: readonly string[]; secret: string; description?: string },
  now: Date,
): Promise<Endpoint> {
  const { rows } = await q.query<Endpoint>(
    `insert into webhook_endpoints (url, events, secret, description, created_at) values ($1, $2, $3, $4, $5)
     returning *`,
    [endpoint.url, endpoint.events, endpoint.secret, endpoint.description ?? null, now],
  )
  return rows[0]!
}

export async function listEndpoints(q: Queryable): Promise<(Endpoint & DeliveryCounts)[]> {
  const { rows } = await q.query<Endpoint & DeliveryCounts>(
    `select ep.*,
       (select count(*)::int from webhook_deliveries d where d.endpoint_id = ep.id and d.status = 'pending') as pending,
       (select count(*)::int from webhook_deliveries d where d.endpoint_id = ep.id and d.status = 'succeeded') as succeeded,
       (select count(*)::int from webhook_deliveries d where d.endpoint_id = ep.id and d.status = 'failed') as failed,
       (select max(d.last_attempt_at) from webhook_deliveries d where d.endpoint_id = ep.id) as last_attempt_at
     from webhook_endpoints ep order by ep.id`,
  )
  return rows
}

export interface DeliveryCounts {
  pending: number
  succeeded: number
  failed: number
  last_attempt_at: Date | null
}

export async function findEndpoint(q: Queryable, id: number): Promise<Endpoint | undefined> {
  const { rows } = await q.query<Endpoint>('select * from webhook_endpoints where id = $1', [id])
  return rows[0]
}

/** Removes an endpoint and its deliveries (the events stay for the others). */
export async function removeEndpoint(q: Queryable, id: number): Promise<boolean> {
  const { rowCount } = await q.query('delete from webhook_endpoints where id = $1', [id])
  return rowCount > 0
}

/** Turns an endpoint off (it failed for too long) or on again; its pending deliveries wait meanwhile. */
export async function setEndpointDisabled(
  q: Queryable,
  id: number,
  disabled: { at: Date; reason: string } | null,
  now: Date,
): Promise<void> {
  await q.query(`update webhook_endpoints set disabled_at = $2, disabled_reason = $3 where id = $1`, [
    id,
    disabled?.at ?? null,
    disabled?.reason ?? null,
  ])
  // Turned on again: what waited goes at once.
  if (!disabled)
    await q.query(
      `update webhook_deliveries set next_attempt_at = $2 where endpoint_id = $1 and status = 'pending'`,
      [id, now],
    )
}

/** A delivery handed to one worker: the endpoint, the event's id, type and payload. */
export interface ClaimedDelivery {
  id: number
  event_id: string
  type: string
  payload: unknown
  attempts: number
  endpoint_id: number
  url: string
  secret: string
}

/**
 * Claims due deliveries of enabled endpoints for `leaseMs` (SKIP LOCKED: several workers never take
 * the same one; a worker that dies lets go when the lease ends).
 */
export async function claimDeliveries(
  q: Queryable,
  options: { workerId: string; now: Date; leaseMs: number; limit: number; ids?: readonly number[] },
): Promise<ClaimedDelivery[]> {
  const { rows } = await q.query<ClaimedDelivery>(
    `with due as (
       select d.id from webhook_deliveries d join webhook_endpoints ep on ep.id = d.endpoint_id
       where d.status = 'pending' and d.next_attempt_at <= $1 and (d.locked_until is null or d.locked_until <= $1)
         and ep.disabled_at is null and ($5::bigint[] is null or d.id = any($5::bigint[]))
       order by d.next_attempt_at, d.id limit $4
       for update of d skip locked
     )
     update webhook_deliveries d set locked_until = $2, locked_by = $3 from due where d.id = due.id
     returning d.id, d.event_id, d.attempts, d.endpoint_id,
       (select type from webhook_events where id = d.event_id) as type,
       (select payload from webhook_events where id = d.event_id) as payload,
       (select url from webhook_endpoints where id = d.endpoint_id) as url,
       (select secret from webhook_endpoints where id = d.endpoint_id) as secret`,
    [
      options.now,
      new Date(options.now.getTime() + options.leaseMs),
      options.workerId,
      options.limit,
      options.ids ?? null,
    ],
  )
  return rows
}

/** Records one attempt: its answer in the log, and the delivery done, retried at `retryAt`, or failed. */
export async function recordAttempt(
  q: Queryable,
  delivery: { id: number; workerId: string },
  attempt: {
    at: Date
    status: number | null
    error: string | null
    durationMs: number
    outcome: 'succeeded' | 'failed' | { retryAt: Date }
  },
): Promise<void> {
  await q.query(
    `insert into webhook_attempts (delivery_id, attempted_at, status, error, duration_ms) values ($1, $2, $3, $4, $5)`,
    [delivery.id, attempt.at, attempt.status, attempt.error, attempt.durationMs],
  )
  const done = typeof attempt.outcome === 'string'
  await q.query(
    `update webhook_deliveries set attempts = attempts + 1, last_status = $2, last_error = $3, last_attempt_at = $4,
       status = $5, next_attempt_at = coalesce($6, next_attempt_at), locked_until = null, locked_by = null
     where id = $1 and locked_by = $7`,
    [
      delivery.id,
      attempt.status,
      attempt.error,
      attempt.at,
      done ? attempt.outcome : 'pending',
      done ? null : (attempt.outcome as { retryAt: Date }).retryAt,
      delivery.workerId,
    ],
  )
}

/** Sends an event again to its endpoints (or one): its deliveries go back to pending, due now. */
export async function replayEvent(
  q: Queryable,
  eventId: string,
  now: Date,
  endpointId?: number,
): Promise<number> {
  const { rowCount } = await q.query(
    `update webhook_deliveries set status = 'pending', attempts = 0, next_attempt_at = $2, locked_until = null,
       locked_by = null
     where event_id = $1 and ($3::bigint is null or endpoint_id = $3)`,
    [eventId, now, endpointId ?? null],
  )
  return rowCount
}

/**
 * A `webhook.test` event for one endpoint (`course webhooks test`), with its delivery due now; the
 * caller delivers it at once. Returns the event and delivery ids.
 */
export async function emitTestEvent(
  q: Queryable,
  endpointId: number,
  now: Date,
): Promise<{ eventId: string; deliveryId: number }> {
  const eventId = newEventId(now)
  const payload = {
    type: 'webhook.test',
    timestamp: now.toISOString(),
    data: { message: 'A test event from course webhooks test: this endpoint is reachable and verifies.' },
  }
  await q.query(
    `insert into webhook_events (id, type, subscriber_id, payload, created_at) values ($1, 'webhook.test', null, $2::jsonb, $3)`,
    [eventId, JSON.stringify(payload), now],
  )
  const { rows } = await q.query<{ id: number }>(
    `insert into webhook_deliveries (event_id, endpoint_id, next_attempt_at, created_at) values ($1, $2, $3, $3)
     returning id`,
    [eventId, endpointId, now],
  )
  return { eventId, deliveryId: Number(rows[0]!.id) }
}

/** Whether an event is in the outbox. */
export async function eventExists(q: Queryable, eventId: string): Promise<boolean> {
  const { rows } = await q.query('select 1 from webhook_events where id = $1', [eventId])
  return rows.length > 0
}

/** An endpoint's latest deliveries with their event, newest first (the delivery log). */
export async function recentDeliveries(q: Queryable, endpointId: number, limit = 20) {
  const { rows } = await q.query<{
    id: number
    event_id: string
    type: string
    status: string
    attempts: number
    last_status: number | null
    last_error: string | null
    last_attempt_at: Date | null
    next_attempt_at: Date
  }>(
    `select d.id, d.event_id, e.type, d.status, d.attempts, d.last_status, d.last_error, d.last_attempt_at,
       d.next_attempt_at
     from webhook_deliveries d join webhook_events e on e.id = d.event_id
     where d.endpoint_id = $1 order by d.id desc limit $2`,
    [endpointId, limit],
  )
  return rows
}

/** Removes the events about one person (an erasure): undelivered ones never go. */
export async function deleteEventsOf(q: Queryable, subscriberId: number): Promise<number> {
  const { rowCount } = await q.query('delete from webhook_events where subscriber_id = $1', [subscriberId])
  return rowCount
}

/** Old events whose deliveries are all done (kept for a while for replay and the log). */
export async function pruneEvents(q: Queryable, before: Date): Promise<number> {
  const { rowCount } = await q.query(
    `delete from webhook_events e where e.created_at < $1
       and not exists (select 1 from webhook_deliveries d where d.event_id = e.id and d.status = 'pending')`,
    [before],
  )
  return rowCount
}
