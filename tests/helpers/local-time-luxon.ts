import { DateTime, IANAZone, Settings } from 'luxon'

/**
 * The reference for tests/unit/local-time.test.ts: src/lib/local-time.ts as it was with luxon,
 * copied unchanged, except that luxon's clock is pinned (see localHourInstant) and that
 * localDayBounds is checked against the documented rule, built from luxon's startOf('day')
 * (see oracleDayBounds).
 */

const validZones = new Map<string, boolean>()
/** The old functions, under their names. */
export const oracle = {
  safeZone(timezone: string | null | undefined): string {
    if (!timezone) return 'UTC'
    let valid = validZones.get(timezone)
    if (valid === undefined) {
      valid = IANAZone.isValidZone(timezone)
      if (validZones.size < 10_000) validZones.set(timezone, valid)
    }
    return valid ? timezone : 'UTC'
  },
  localDate(instant: Date, timezone: string): string {
    return DateTime.fromJSDate(instant, { zone: oracle.safeZone(timezone) }).toISODate() as string
  },
  daysBetween(from: string, to: string): number {
    return Math.round(
      DateTime.fromISO(to, { zone: 'UTC' }).diff(DateTime.fromISO(from, { zone: 'UTC' }), 'days').days,
    )
  },
  addDays(date: string, days: number): string {
    return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate() as string
  },
  /**
   * Luxon resolves a wall-clock time from a first guess at the offset: the zone's offset *now*. So
   * its answer depended on the day it ran: run in December 2026 it gave the second of the two
   * repeated hours of Antarctica/Troll's 2-hour fall-back in its winter (the fix-up knows only 60
   * and 30 minutes), and wrong hours in zones whose offsets have changed since (America/Scoresbysund
   * in 2020-2022). Pinned here to the day before the date: planning happens ahead of it, and the
   * oracle no longer depends on when the test runs.
   */
  localHourInstant(date: string, hour: number, timezone: string): Date {
    const [year, month, day] = date.split('-').map(Number)
    const dayBefore = new Date(0).setUTCFullYear(year!, month! - 1, day! - 1)
    const now = Settings.now
    Settings.now = () => (Number.isNaN(dayBefore) ? Date.UTC(2027, 0, 1) : dayBefore)
    try {
      const zone = oracle.safeZone(timezone)
      const local = DateTime.fromObject({ year, month, day, hour }, { zone })
      for (const minutes of [60, 30]) {
        const earlier = local.minus({ minutes })
        if (earlier.hour === local.hour && earlier.minute === local.minute && earlier.day === local.day) {
          return earlier.toJSDate()
        }
      }
      return local.toJSDate()
    } finally {
      Settings.now = now
    }
  },
  nextAllowedDate(date: string, sendDays: readonly number[]): string {
    let current = date
    for (let i = 0; i < 7; i++) {
      if (sendDays.includes(DateTime.fromISO(current, { zone: 'UTC' }).weekday)) return current
      current = oracle.addDays(current, 1)
    }
    return date
  },
  /** The old localDayBounds, unchanged: compared in the test of where it went wrong. */
  localDayBounds(instant: Date, timezone: string): { start: Date; end: Date } {
    const day = DateTime.fromJSDate(instant, { zone: oracle.safeZone(timezone) }).startOf('day')
    return { start: day.toJSDate(), end: day.plus({ days: 1 }).toJSDate() }
  },
}

/**
 * The documented rule for a day's bounds, from luxon's pieces: the day starts at luxon's
 * startOf('day') moved to the first occurrence when midnight happens twice (the fix-up the old
 * localHourInstant used), and ends where the next day starts.
 */
export function oracleDayBounds(instant: Date, zone: string): { start: Date; end: Date } {
  const start = luxonDayStart(DateTime.fromJSDate(instant, { zone: oracle.safeZone(zone) }))
  return { start: start.toJSDate(), end: luxonDayStart(start.plus({ days: 1 })).toJSDate() }
}

function luxonDayStart(at: DateTime): DateTime {
  const start = at.startOf('day')
  // Midnight also came 60 (or 30) minutes earlier if the offset then was that much larger: the
  // old localHourInstant's fix-up, asked of the zone's offsets (comparing DateTimes is ten times slower).
  const zone = start.zone
  for (const minutes of [60, 30]) {
    const earlier = start.toMillis() - minutes * 60_000
    if (zone.offset(earlier) - start.offset === minutes) return DateTime.fromMillis(earlier, { zone })
  }
  return start
}
