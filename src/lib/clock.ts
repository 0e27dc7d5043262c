/** The time source. Planning code takes `now` as an argument; only composition roots build a real clock. */
export interface Clock {
  now(): Date
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** Wall-clock time and real timers. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve()
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done, { once: true })
      function done() {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
    }),
}

/** A clock pinned to a given instant (for `course run-due --at`): time does not move, sleeps are real. */
export function fixedClock(at: Date): Clock {
  return { now: () => new Date(at), sleep: systemClock.sleep }
}
