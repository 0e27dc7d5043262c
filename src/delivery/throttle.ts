import type { Queryable } from '../db/db'
import type { Clock } from '../lib/clock'

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
  /** `perSecond`: the rate in force (the configured one, or a lower limit the provider reported). */
  { ok: true; waitMs: number; perSecond: number } | { ok: false; pausedUntil: Date; reason: string | null }

/**
 * Reserves the next request slot of a rate shared by every process (a reservation clock in one row:
 * each caller takes `next_slot_at` and moves it on by 1/rate). Waiting happens after the reservation,
 * outside any transaction, so workers queue in order without holding locks.
 */
export async function reserveSlot(q: Queryable, now: Date): Promise<SlotResult> {
  const { rows } = await q.query<{ slot: Date; rate_per_second: number }>(
    `update send_control
     set next_slot_at = (case when next_slot_at < $2 or next_slot_at > $2 + $3 * interval '1 millisecond'
                              then $2 else next_slot_at end)
                        + (1000.0 / (rate_per_second * $4)) * interval '1 millisecond'
     where name = $1 and (paused_until is null or paused_until <= $2)
     returning next_slot_at - (1000.0 / (rate_per_second * $4)) * interval '1 millisecond' as slot,
               rate_per_second`,
    [THROTTLE_NAME, now, MAX_AHEAD_MS, RATE_MARGIN],
  )
  const row = rows[0]
  if (row)
    return {
      ok: true,
      waitMs: Math.max(0, row.slot.getTime() - now.getTime()),
      perSecond: row.rate_per_second,
    }
  const paused = await q.query<{ paused_until: Date | null; pause_reason: string | null }>(
    'select paused_until, pause_reason from send_control where name = $1',
    [THROTTLE_NAME],
  )
  const pause = paused.rows[0]
  return { ok: false, pausedUntil: pause?.paused_until ?? now, reason: pause?.pause_reason ?? null }
}

/**
 * The provider's window: it counts the calls that arrived in the last second. A few milliseconds more
 * cover the resolution of the clocks that measure it (a Date has whole milliseconds).
 */
const WINDOW_MS = 1000 + 5
/** Calls remembered; at more than this many a second the window never makes a call wait. */
const CALLS_KEPT = 1024

interface Call {
  /** When its answer came back (real clock, ms); null while it is in flight. */
  endedAt: number | null
  ended: Promise<void>
  end: () => void
}

/**
 * One sender's provider calls, for the provider's one-second window. The reservation clock above
 * spaces the calls of every worker at 95% of the rate, but it spaces their starts: a call that
 * travels slower than the ones after it arrives closer to them, and at 5 a second a call 50 ms late
 * put six into one second (measured: a 429 every 15 to 20 calls, each a second of waiting for every
 * worker). A call arrives before its answer comes back, so a call started a second or more after the
 * answer to the call `limit` places before it can never be one too many, however unevenly either
 * travelled. Only this sender's calls are known here; the calls of other workers are spaced by the
 * reservation clock alone.
 */
export class CallWindow {
  readonly #calls: Call[] = []

  /**
   * Waits until one more call fits a limit of `perSecond` calls a second (waiting first, if need be,
   * for the answer to the call that decides it), then counts the call as started and returns what
   * marks it answered: call it when the call ends, whatever the outcome. Returns null, without
   * counting a call, once `signal` is aborted. Resolves at once below the limit.
   */
  async take(perSecond: number, clock: Clock, signal: AbortSignal): Promise<(() => void) | null> {
    const limit = Math.max(1, Math.floor(perSecond))
    for (;;) {
      if (signal.aborted) return null
      const decisive = this.#calls.length >= limit ? this.#calls[this.#calls.length - limit] : undefined
      if (decisive?.endedAt === null) {
        await untilEndedOrAborted(decisive, signal)
        continue
      }
      const waitMs = decisive ? decisive.endedAt + WINDOW_MS - clock.now().getTime() : 0
      if (waitMs > 0) {
        await clock.sleep(waitMs, signal)
        continue
      }
      // No await between the last check and here: two lanes cannot both take the same place.
      return this.#start(clock)
    }
  }

  #start(clock: Clock): () => void {
    let end!: () => void
    const ended = new Promise<void>((resolve) => {
      end = resolve
    })
    const call: Call = { endedAt: null, ended, end }
    this.#calls.push(call)
    if (this.#calls.length > 2 * CALLS_KEPT) this.#calls.splice(0, this.#calls.length - CALLS_KEPT)
    return () => {
      if (call.endedAt !== null) return
      call.endedAt = clock.now().getTime()
      call.end()
    }
  }
}

function untilEndedOrAborted(call: Call, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
    void call.ended.then(done)
  })
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
