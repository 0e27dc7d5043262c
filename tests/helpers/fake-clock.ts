import type { Clock } from '../../src/lib/clock'

/** A clock tests move by hand. `sleep` advances it instantly instead of waiting. */
export class FakeClock implements Clock {
  #now: number

  constructor(start: string | Date = '2027-01-04T08:00:00Z') {
    this.#now = new Date(start).getTime()
  }

  now(): Date {
    return new Date(this.#now)
  }

  async sleep(ms: number): Promise<void> {
    this.#now += Math.max(0, ms)
  }

  set(at: string | Date): void {
    this.#now = new Date(at).getTime()
  }

  advance(ms: number): void {
    this.#now += ms
  }

  advanceDays(days: number): void {
    this.#now += days * 24 * 60 * 60 * 1000
  }
}
