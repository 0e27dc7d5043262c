import { DateTime, IANAZone } from 'luxon'

/**
 * Local calendar dates (YYYY-MM-DD) and instants in people's time zones: the arithmetic every
 * schedule here is built from. Pure; time is always an argument.
 */

/** A valid IANA zone name, or UTC. */
export function safeZone(timezone: string | null | undefined): string {
  if (!timezone) return 'UTC'
  let valid = validZones.get(timezone)
  if (valid === undefined) {
    // Checking builds an Intl.DateTimeFormat: a third of the sender's time when done for every email.
    valid = IANAZone.isValidZone(timezone)
    if (validZones.size < 10_000) validZones.set(timezone, valid)
  }
  return valid ? timezone : 'UTC'
}

/** Zone names already checked (a few hundred exist; the bound keeps junk input from growing it). */
const validZones = new Map<string, boolean>()

/** The local calendar date of an instant in a zone. */
export function localDate(instant: Date, timezone: string): string {
  return DateTime.fromJSDate(instant, { zone: safeZone(timezone) }).toISODate() as string
}

/** Whole calendar days from one local date to another (negative if `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round(
    DateTime.fromISO(to, { zone: 'UTC' }).diff(DateTime.fromISO(from, { zone: 'UTC' }), 'days').days,
  )
}

export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate() as string
}

/**
 * The instant of `hour`:00 on a local date. Daylight-saving transitions give one instant either way:
 * an hour that does not exist (clocks jump forward) becomes the first instant after the gap, and an
 * hour that happens twice (clocks fall back) is its first occurrence.
 */
export function localHourInstant(date: string, hour: number, timezone: string): Date {
  const zone = safeZone(timezone)
  const [year, month, day] = date.split('-').map(Number)
  const local = DateTime.fromObject({ year, month, day, hour }, { zone })
  // Luxon moves a skipped hour forwards (what we want) but resolves a repeated hour to its second
  // occurrence; step back to the first if the same wall-clock time also existed earlier
  // (transitions are 60 minutes, or 30 in a few zones such as Australia/Lord_Howe).
  for (const minutes of [60, 30]) {
    const earlier = local.minus({ minutes })
    if (earlier.hour === local.hour && earlier.minute === local.minute && earlier.day === local.day) {
      return earlier.toJSDate()
    }
  }
  return local.toJSDate()
}

/** Moves a local date forward to the first allowed weekday. */
export function nextAllowedDate(date: string, sendDays: readonly number[]): string {
  let current = date
  for (let i = 0; i < 7; i++) {
    if (sendDays.includes(DateTime.fromISO(current, { zone: 'UTC' }).weekday)) return current
    current = addDays(current, 1)
  }
  return date // no allowed day configured: config validation prevents this
}

/** The instants a local calendar day begins and ends (the next one begins), for the day holding `instant`. */
export function localDayBounds(instant: Date, timezone: string): { start: Date; end: Date } {
  const day = DateTime.fromJSDate(instant, { zone: safeZone(timezone) }).startOf('day')
  return { start: day.toJSDate(), end: day.plus({ days: 1 }).toJSDate() }
}
