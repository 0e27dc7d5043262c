import type { Queryable } from '../db/db'

/** The send_control row every worker shares. */
export const THROTTLE_NAME = 'mail'

/**
 * A reservation further ahead than this is stale (a process whose clock was far off) and ignored.
 * Generous enough for any retry-after a provider asks for.
 */
const MAX_AHEAD_MS = 60 * 60 * 1000

/**
 * Records the configured rate at start-up. A process started with the same setting leaves the rate in
 * force alone (it may follow a lower provider limit; a read-only CLI command must not undo that); a
 * new setting replaces it.
 */
export async function initThrottle(q: Queryable, ratePerSecond: number, now: Date): Promise<void> {
  await q.query(
    `insert into send_control (name, next_slot_at, rate_per_second, configured_rate) values ($1, $2, $3, $3)
     on conflict (name) do update
       set rate_per_second = excluded.rate_per_second, configured_rate = excluded.configured_rate
       where send_control.configured_rate is distinct from excluded.configured_rate`,
    [THROTTLE_NAME, now, ratePerSecond],
  )
}

/**
 * Requests go out at 95% of the configured rate. The provider counts arrivals in a sliding one-second
 * window; at exactly the limit, network jitter puts one request too many into some windows, and each
 * 429 then costs a whole second of waiting (measured: 0.55 of the ideal throughput at 100%, 0.95 at 95%).
 */
export const RATE_MARGIN = 0.95

export type SlotResult =
  | { ok: true; waitMs: number }
  | { ok: false; pausedUntil: Date; reason: string | null }

/**
 * Reserves the next request slot of a rate shared by every process (a reservation clock in one row:
 * each caller takes `next_slot_at` and moves it on by 1/rate). Waiting happens after the reservation,
 * outside any transaction, so workers queue in order without holding locks.
 */
export async function reserveSlot(q: Queryable, now: Date): Promise<SlotResult> {
  const { rows } = await q.query<{ slot: Date }>(
    `update send_control
     set next_slot_at = (case when next_slot_at < $2 or next_slot_at > $2 + $3 * interval '1 millisecond'
                              then $2 else next_slot_at end)
                        + (1000.0 / (rate_per_second * $4)) * interval '1 millisecond'
     where name = $1 and (paused_until is null or paused_until <= $2)
     returning next_slot_at - (1000.0 / (rate_per_second * $4)) * interval '1 millisecond' as slot`,
    [THROTTLE_NAME, now, MAX_AHEAD_MS, RATE_MARGIN],
  )
  const slot = rows[0]?.slot
  if (slot) return { ok: true, waitMs: Math.max(0, slot.getTime() - now.getTime()) }
  const paused = await q.query<{ paused_until: Date | null; pause_reason: string | null }>(
    'select paused_until, pause_reason from send_control where name = $1',
    [THROTTLE_NAME],
  )
  const row = paused.rows[0]
  return { ok: false, pausedUntil: row?.paused_until ?? now, reason: row?.pause_reason ?? null }
}

/** The provider asked everyone to wait (429): no worker takes a slot before `until`. */
export async function holdSlotsUntil(q: Queryable, until: Date): Promise<void> {
  await q.query('update send_control set next_slot_at = greatest(next_slot_at, $2) where name = $1', [
    THROTTLE_NAME,
    until,
  ])
}

/**
 * Follows the limit the provider reports (ratelimit-* headers), down or back up, never above the
 * configured rate. Writes only when the rate changes.
 */
export async function adaptRate(q: Queryable, providerLimit: number): Promise<void> {
  await q.query(
    `update send_control set rate_per_second = least($2, configured_rate)
     where name = $1 and rate_per_second is distinct from least($2, configured_rate)`,
    [THROTTLE_NAME, providerLimit],
  )
}

/** Stops all sending until `until` (quota used up, key refused). */
export async function pauseSending(q: Queryable, until: Date, reason: string): Promise<void> {
  await q.query('update send_control set paused_until = $2, pause_reason = $3 where name = $1', [
    THROTTLE_NAME,
    until,
    reason,
  ])
}

export async function sendingPausedUntil(
  q: Queryable,
  now: Date,
): Promise<{ until: Date; reason: string | null } | null> {
  const { rows } = await q.query<{ paused_until: Date; pause_reason: string | null }>(
    'select paused_until, pause_reason from send_control where name = $1 and paused_until > $2',
    [THROTTLE_NAME, now],
  )
  return rows[0] ? { until: rows[0].paused_until, reason: rows[0].pause_reason } : null
}

/** The throttle as it stands: the rate in force (it follows a lower provider limit) and the configured one. */
export async function readThrottle(
  q: Queryable,
): Promise<{ ratePerSecond: number; configuredRate: number | null } | null> {
  const { rows } = await q.query<{ rate_per_second: number; configured_rate: number | null }>(
    'select rate_per_second, configured_rate from send_control where name = $1',
    [THROTTLE_NAME],
  )
  const row = rows[0]
  return row ? { ratePerSecond: row.rate_per_second, configuredRate: row.configured_rate } : null
}
