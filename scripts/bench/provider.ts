import type { Clock } from '../../src/lib/clock'
import { systemClock } from '../../src/lib/clock'
import type { FakeResend } from '../../tests/helpers/fake-resend'

/** Emails a fake Resend accepted, counted per address. */
export interface SentTally {
  /** Emails accepted per address (lower-cased), up to the last drain. */
  counts: Map<string, number>
  /** Drains once more and stops the timer. */
  stop(): Map<string, number>
}

/**
 * Counts what the fake Resend accepted, per address, and empties its `sent` list as it goes: each
 * entry keeps a whole email (HTML and text), and 100,000 of them would fill the process's memory.
 */
export function tallySent(fake: FakeResend, everyMs = 200): SentTally {
  const counts = new Map<string, number>()
  const drain = () => {
    // Synchronous: the fake cannot push between the loop and the truncation.
    for (const email of fake.sent) {
      const to = (email.to[0] ?? '').toLowerCase()
      counts.set(to, (counts.get(to) ?? 0) + 1)
    }
    fake.sent.length = 0
  }
  const timer = setInterval(drain, everyMs)
  return {
    counts,
    stop() {
      clearInterval(timer)
      drain()
      return counts
    },
  }
}

/**
 * Compares what was accepted with who should have got one email each: `duplicates` counts extra
 * copies, `lost` the people who got nothing, `unexpected` emails to addresses nobody expected.
 */
export function compareSent(
  counts: Map<string, number>,
  expected: Iterable<string>,
): { accepted: number; duplicates: number; lost: number; unexpected: number } {
  const wanted = new Set([...expected].map((address) => address.toLowerCase()))
  let accepted = 0
  let duplicates = 0
  let lost = 0
  for (const address of wanted) {
    const n = counts.get(address) ?? 0
    if (n === 0) lost += 1
    else {
      accepted += 1
      duplicates += n - 1
    }
  }
  let unexpected = 0
  for (const [address, n] of counts) if (!wanted.has(address)) unexpected += n
  return { accepted, duplicates, lost, unexpected }
}

/**
 * Real time for waits and the provider's window, but a `now()` the benchmark can move forward.
 * Retries after a 5xx wait 15 to 30 s (backoffMs, src/drip/sender.ts); when nothing else is left to
 * send, the benchmark jumps the lease clock to the retry time instead of idling, and reports the
 * time it skipped. Sleeps (the throttle's pacing, 429 waits) stay real, as does the fake's rate window.
 */
export class LeaseClock implements Clock {
  #offset = 0
  /** Total milliseconds skipped so far. */
  skippedMs = 0

  now(): Date {
    return new Date(Date.now() + this.#offset)
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal)
  }

  /** Moves `now()` forward to `at` (never back). */
  skipTo(at: Date): void {
    const gap = at.getTime() - this.now().getTime()
    if (gap <= 0) return
    this.#offset += gap
    this.skippedMs += gap
  }
}
