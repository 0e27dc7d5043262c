/**
 * Local calendar dates (YYYY-MM-DD) and instants in people's time zones: the arithmetic every
 * schedule here is built from. Pure; time is always an argument.
 *
 * No date library: the sender calls these for every email, and luxon was 40% of its CPU. A date is
 * a day number (days since 1970-01-01, proleptic Gregorian), so date arithmetic is integer
 * arithmetic. The only thing asked of a zone is its UTC offset at an instant, read from one cached
 * Intl.DateTimeFormat per zone (the same ICU data luxon read) and remembered per UTC hour. Results
 * are luxon's (tests/unit/local-time.test.ts checks them against it), except localDayBounds around a
 * skipped or repeated midnight (see there), and including its answers for impossible input: null
 * from addDays and localDate, NaN from daysBetween, an invalid Date from localHourInstant. Dates are
 * YYYY-MM-DD (±YYYYYY-MM-DD outside years 0-9999, as luxon wrote them).
 */

const HOUR = 3_600_000
const DAY = 86_400_000
/** The last instant a Date can hold (ms either side of 1970). */
const MAX_INSTANT = 8.64e15

/** A valid IANA zone name, or UTC. */
export function safeZone(timezone: string | null | undefined): string {
  if (!timezone) return 'UTC'
  let valid = validZones.get(timezone)
  if (valid === undefined) {
    // Checking builds an Intl.DateTimeFormat: a third of the sender's time when done for every email.
    // The one built is kept as the zone's clock.
    valid = clockOf(timezone) !== undefined
    if (validZones.size < 10_000) validZones.set(timezone, valid)
  }
  return valid ? timezone : 'UTC'
}

/** Zone names already checked (a few hundred exist; the bound keeps junk input from growing it). */
const validZones = new Map<string, boolean>()

/** The local calendar date of an instant in a zone. */
export function localDate(instant: Date, timezone: string): string {
  const t = instant.getTime()
  const day = Math.floor((t + offsetAt(zoneClock(timezone), t)) / DAY)
  return Number.isNaN(day) ? (null as unknown as string) : isoDate(day)
}

/** Whole calendar days from one local date to another (negative if `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from)
}

/** The local date `days` calendar days after `date` (before it if negative). */
export function addDays(date: string, days: number): string {
  if (!Number.isFinite(days)) throw new RangeError(`addDays: ${days} is not a number of days`) // luxon threw too
  // A fraction of a day moved luxon by that many hours from midnight: floor keeps its answer.
  const day = Math.floor(dayNumber(date) + days)
  return Number.isNaN(day) ? (null as unknown as string) : isoDate(day)
}

/**
 * The instant of `hour`:00 on a local date. Daylight-saving transitions give one instant either way:
 * an hour that does not exist (clocks jump forward) becomes the first instant after the gap, and an
 * hour that happens twice (clocks fall back) is its first occurrence.
 */
export function localHourInstant(date: string, hour: number, timezone: string): Date {
  // Hour 24 is the next midnight, as luxon allowed.
  if (!Number.isInteger(hour) || hour < 0 || hour > 24) return new Date(Number.NaN)
  let days = date.length === 10 ? dayNumber(date) : Number.NaN
  if (Number.isNaN(days)) {
    // Not YYYY-MM-DD: read as the luxon version did ("2026-3-8" is 8 March, "-000050-…" invalid),
    // except that text without a year, month and day is invalid (luxon threw, or took 1 January).
    const [year, month, day] = date.split('-').map(Number)
    days = validDayNumber(year, month, day)
  }
  return new Date(instantOfWallClock(zoneClock(timezone), days * DAY + hour * HOUR))
}

/** Moves a local date forward to the first allowed weekday. */
export function nextAllowedDate(date: string, sendDays: readonly number[]): string {
  const day = dayNumber(date)
  for (let i = 0; i < 7; i++) if (sendDays.includes(isoWeekday(day + i))) return i ? isoDate(day + i) : date
  return date // no allowed day configured: config validation prevents this
}

/**
 * The instants a local calendar day begins and ends (the next one begins), for the day holding `instant`.
 * A day whose midnight is skipped (America/Santiago each September) begins when the clocks jump; a
 * repeated midnight (America/Havana each November) begins it at its first occurrence. So the days of a
 * zone tile time and agree with localDate. Luxon did neither: its day after a skipped midnight ran to
 * 01:00 the next day, an hour into the next one, and a repeated midnight began the day at the
 * occurrence with the offset of `instant`, so an instant later that day lost the day's first hour.
 */
export function localDayBounds(instant: Date, timezone: string): { start: Date; end: Date } {
  const clock = zoneClock(timezone)
  const t = instant.getTime()
  const day = Math.floor((t + offsetAt(clock, t)) / DAY) // NaN for an invalid Date: invalid Dates
  return {
    start: new Date(instantOfWallClock(clock, day * DAY)),
    end: new Date(instantOfWallClock(clock, (day + 1) * DAY)),
  }
}

// Calendar dates as day numbers.

/** Days since 1970-01-01 of a Gregorian date (Howard Hinnant's days_from_civil: exact for any year). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  return (
    era * 146_097 +
    yearOfEra * 365 +
    Math.floor(yearOfEra / 4) -
    Math.floor(yearOfEra / 100) +
    dayOfYear -
    719_468
  )
}

/** The day number of a date given as numbers, or NaN unless it is a real date (luxon's validation). */
function validDayNumber(
  year: number | undefined,
  month: number | undefined,
  day: number | undefined,
): number {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return Number.NaN
  const y = year as number
  const m = month as number
  const d = day as number
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
  const length = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
  return m >= 1 && m <= 12 && d >= 1 && d <= length ? daysFromCivil(y, m, d) : Number.NaN
}

/** The day number of a YYYY-MM-DD (or ±YYYYYY-MM-DD) date, or NaN. */
function dayNumber(date: string): number {
  const long = date.length === 13
  if (date.length !== 10 && !long) return Number.NaN
  const at = long ? 3 : 0 // where the last four digits of the year begin
  if (date.charCodeAt(at + 4) !== 45 || date.charCodeAt(at + 7) !== 45) return Number.NaN // '-'
  let year = digits(date, at, 4)
  if (long) {
    const sign = date[0] === '-' ? -1 : date[0] === '+' ? 1 : 0
    year = sign * (digits(date, 1, 2) * 10_000 + year)
  }
  return validDayNumber(year, digits(date, at + 5, 2), digits(date, at + 8, 2))
}

/** The number written by `length` ASCII digits at `from`, or NaN. */
function digits(text: string, from: number, length: number): number {
  let n = 0
  for (let i = from; i < from + length; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return Number.NaN
    n = n * 10 + digit
  }
  return n
}

/** A day number as luxon's toISODate writes it: YYYY-MM-DD, with a signed 6-digit year outside 0-9999. */
function isoDate(days: number): string {
  // Hinnant's civil_from_days.
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const leapDays =
    Math.floor(dayOfEra / 1460) - Math.floor(dayOfEra / 36_524) + Math.floor(dayOfEra / 146_096)
  const yearOfEra = Math.floor((dayOfEra - leapDays) / 365)
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const shifted = Math.floor((5 * dayOfYear + 2) / 153) // months from March
  const day = dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1
  const month = shifted < 10 ? shifted + 3 : shifted - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  const yyyy =
    year >= 0 && year <= 9999
      ? String(year).padStart(4, '0')
      : (year < 0 ? '-' : '+') + String(Math.abs(year)).padStart(6, '0')
  return `${yyyy}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`
}

/** ISO weekday (1 = Monday) of a day number; day 0 was a Thursday. */
function isoWeekday(days: number): number {
  return ((((days + 3) % 7) + 7) % 7) + 1
}

// Zones: offsets at instants, and instants of local wall-clock times.

/** One zone's formatter and the offsets it gave at whole UTC hours (hour number → offset in ms). */
interface ZoneClock {
  format: Intl.DateTimeFormat
  hourly: Map<number, number>
}

/** Clocks by zone name. Bounded: hundreds of zones exist, a formatter is a few kilobytes. */
const clocks = new Map<string, ZoneClock>()

/** A zone's clock (built on first use), or undefined when Intl knows no such zone. */
function clockOf(zone: string): ZoneClock | undefined {
  let clock = clocks.get(zone)
  if (clock) return clock
  try {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    clock = { format, hourly: new Map() }
  } catch (error) {
    if (error instanceof RangeError) return undefined // not a zone
    throw error
  }
  if (clocks.size >= 1000) clocks.clear()
  clocks.set(zone, clock)
  return clock
}

/** The clock of a zone name as stored (an invalid or missing one is UTC, as safeZone says). */
function zoneClock(timezone: string): ZoneClock {
  return clockOf(safeZone(timezone)) as ZoneClock
}

/**
 * A zone's UTC offset (ms) at an instant. Exact from the hourly cache: tzdata's transitions are at
 * least four days apart in every zone (zdump, 1850-2100), so an hour whose two ends have the same
 * offset has no transition inside; an hour with one is asked of Intl directly.
 */
function offsetAt(clock: ZoneClock, t: number): number {
  const hour = Math.floor(t / HOUR)
  const offset = hourlyOffset(clock, hour)
  return offset === hourlyOffset(clock, hour + 1) ? offset : exactOffset(clock.format, t)
}

function hourlyOffset(clock: ZoneClock, hour: number): number {
  let offset = clock.hourly.get(hour)
  if (offset === undefined) {
    offset = exactOffset(clock.format, hour * HOUR)
    // Planning touches a few hours per reader's day; clearing now and then bounds the memory.
    if (clock.hourly.size >= 512) clock.hourly.clear()
    clock.hourly.set(hour, offset)
  }
  return offset
}

/**
 * The offset at an instant from the zone's wall-clock reading then, to the second as luxon read it
 * (offsets before standard time, local mean time, have seconds).
 */
function exactOffset(format: Intl.DateTimeFormat, t: number): number {
  if (!(Math.abs(t) <= MAX_INSTANT)) return Number.NaN // an invalid Date, or beyond Date's range
  const text = format.format(t) // "MM/DD/YYYY AD, HH:MM:SS" for years 1000-9999
  let year: number
  let month: number
  let day: number
  let rest: number // where the hours begin
  if (text.length === 23 && text.charCodeAt(11) === 65) {
    year = digits(text, 6, 4)
    month = digits(text, 0, 2)
    day = digits(text, 3, 2)
    rest = 15
  } else {
    const parsed = /^(\d+)\/(\d+)\/(\d+) (AD|BC), /.exec(text)
    if (!parsed) throw new Error(`unexpected Intl date format: ${text}`)
    year = parsed[4] === 'BC' ? 1 - Number(parsed[3]) : Number(parsed[3])
    month = Number(parsed[1])
    day = Number(parsed[2])
    rest = parsed[0].length
  }
  const wall =
    daysFromCivil(year, month, day) * DAY +
    digits(text, rest, 2) * HOUR +
    digits(text, rest + 3, 2) * 60_000 +
    digits(text, rest + 6, 2) * 1000
  return wall - (t - (((t % 1000) + 1000) % 1000))
}

/**
 * The instant a zone's clocks read `wall` (ms of local time on the UTC scale). Around a transition
 * (at most one within a day either side, see offsetAt) a reading has the offset from before it, the
 * one from after, both (clocks fell back: the first occurrence, the earlier instant) or neither
 * (clocks jumped: the reading moves on by the gap's length, as luxon's did; for the hour a gap
 * begins on, that is the instant the gap ends).
 */
function instantOfWallClock(clock: ZoneClock, wall: number): number {
  if (Number.isNaN(wall)) return wall
  const before = offsetAt(clock, wall - DAY)
  const after = offsetAt(clock, wall + DAY)
  const early = wall - before
  if (before === after) return early
  if (offsetAt(clock, early) === before) return early
  // Clocks fell back and the reading comes only after the transition, or they jumped.
  const late = wall - after
  return before > after || offsetAt(clock, late) === after ? late : early
}
