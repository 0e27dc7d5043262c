import { DateTime, IANAZone } from 'luxon'
import { describe, expect, it } from 'vitest'
import {
  addDays,
  daysBetween,
  localDate,
  localDayBounds,
  localHourInstant,
  nextAllowedDate,
  safeZone,
} from '../../src/lib/local-time'
import { oracle, oracleDayBounds } from '../helpers/local-time-luxon'

/** mulberry32: the same pseudo-random sequence on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const DAY = 86_400_000
const MINUTE = 60_000
const at = (iso: string) => new Date(iso)
const iso = (d: Date) => d.toISOString()
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10)
const bounds = (b: { start: Date; end: Date }) => [iso(b.start), iso(b.end)]

const FOCUS = [
  'America/New_York',
  'Europe/London',
  'Europe/Paris',
  'Australia/Lord_Howe',
  'Australia/Sydney',
  'America/Santiago',
  'America/Asuncion',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'America/St_Johns',
  'Africa/Casablanca',
  'Africa/Cairo',
  'Asia/Tehran',
  'Asia/Beirut',
  'Asia/Jerusalem',
  'Pacific/Apia',
  'America/Havana',
  'Asia/Gaza',
  'America/Scoresbysund',
  'Antarctica/Troll',
]

/** Every offset change of a zone in 2026-2028, to the second, found with luxon's own offsets. */
function transitions(zone: string): number[] {
  let found = transitionsByZone.get(zone)
  if (found) return found
  found = []
  const z = IANAZone.create(zone)
  let offset = z.offset(Date.UTC(2026, 0, 1))
  // Two days at a time: no zone changes its offset twice in two days (weeks apart in 2026-2028).
  for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2029, 0, 1); t += 2 * DAY) {
    const next = z.offset(t + 2 * DAY)
    if (next === offset) continue
    let [lo, hi] = [t, t + 2 * DAY] // the offset changes in (lo, hi]
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000
      if (z.offset(mid) === offset) lo = mid
      else hi = mid
    }
    found.push(hi)
    offset = next
  }
  transitionsByZone.set(zone, found)
  return found
}
const transitionsByZone = new Map<string, number[]>()

/** Compares localHourInstant with the oracle for every `step`-th hour of a date; returns how many. */
function compareHours(zone: string, date: string, step: number): number {
  let compared = 0
  for (let hour = 0; hour <= 24; hour += step, compared++)
    expect(iso(localHourInstant(date, hour, zone)), `${zone} ${date} ${hour}:00`).toBe(
      iso(oracle.localHourInstant(date, hour, zone)),
    )
  return compared
}

describe('local time without luxon, against luxon', () => {
  const zones = [...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/GMT+5', 'US/Eastern', 'europe/paris']

  it('agrees in every zone Intl knows, for a sample of instants, dates and hours', () => {
    const random = seeded(20260308)
    const from = Date.UTC(1850, 0, 1) // from local mean time (offsets with seconds) on
    const span = Date.UTC(2100, 0, 1) - from
    for (const zone of zones) {
      for (let i = 0; i < 3; i++) {
        const instant = new Date(from + Math.floor(random() * span))
        expect(localDate(instant, zone), `${zone} ${iso(instant)}`).toBe(oracle.localDate(instant, zone))
        expect(bounds(localDayBounds(instant, zone)), `${zone} ${iso(instant)}`).toEqual(
          bounds(oracleDayBounds(instant, zone)),
        )
        const date = isoDay(from + Math.floor(random() * span))
        const hour = Math.floor(random() * 25)
        expect(iso(localHourInstant(date, hour, zone)), `${zone} ${date} ${hour}:00`).toBe(
          iso(oracle.localHourInstant(date, hour, zone)),
        )
      }
    }
  })

  it('agrees around every transition of 2026-2028 in zones with odd offsets, rules and histories', () => {
    let checked = 0
    for (const zone of FOCUS) {
      const changes = transitions(zone)
      for (const change of changes) {
        // Instants up to two hours either side, and a millisecond before the transition.
        for (let k = -3; k <= 3; k++) {
          for (const t of k ? [change + k * 40 * MINUTE] : [change - 1, change]) {
            const instant = new Date(t)
            const where = `${zone} ${iso(instant)}`
            expect(localDate(instant, zone), where).toBe(oracle.localDate(instant, zone))
            expect(bounds(localDayBounds(instant, zone)), where).toEqual(
              bounds(oracleDayBounds(instant, zone)),
            )
          }
        }
        // Every hour of the local date(s) of the transition, every eighth one the days either side
        // (their hours are found across the transition too).
        const before = oracle.localDate(new Date(change - 1), zone)
        const after = oracle.localDate(new Date(change), zone)
        const dates = new Map([
          [oracle.addDays(before, -1), 8],
          [before, 1],
          [after, 1],
          [oracle.addDays(after, 1), 8],
        ])
        for (const [date, step] of dates) {
          checked += compareHours(zone, date, step)
        }
      }
      // Ordinary days too, for the zones with no transition now (Kathmandu, Tehran, Apia, Asuncion).
      for (let month = 0; month < 36; month += 3) {
        const noon = new Date(Date.UTC(2026, month, 1, 12))
        expect(localDate(noon, zone)).toBe(oracle.localDate(noon, zone))
        expect(bounds(localDayBounds(noon, zone))).toEqual(bounds(oracleDayBounds(noon, zone)))
        checked += compareHours(zone, isoDay(noon.getTime()), 8)
      }
      if (!['Asia/Kathmandu', 'Asia/Tehran', 'Pacific/Apia', 'America/Asuncion'].includes(zone))
        expect(changes.length, zone).toBeGreaterThanOrEqual(6)
    }
    expect(checked).toBeGreaterThan(2000)
  })

  it('differs from the old localDayBounds only where its days overlapped or left an hour out', () => {
    const differing: string[] = []
    for (const zone of FOCUS) {
      for (const change of transitions(zone)) {
        for (let k = -4; k <= 4; k++) {
          const instant = new Date(change + k * 30 * MINUTE)
          const now = bounds(localDayBounds(instant, zone))
          const old = oracle.localDayBounds(instant, zone)
          if (now[0] === iso(old.start) && now[1] === iso(old.end)) continue
          const next = oracle.localDayBounds(old.end, zone).start
          const earlierSameDay = new Date(old.start.getTime() - 60 * MINUTE)
          const overlaps = old.end > next
          const leavesOut = oracle.localDate(earlierSameDay, zone) === oracle.localDate(instant, zone)
          expect(overlaps || leavesOut, `${zone} ${iso(instant)}`).toBe(true)
          differing.push(`${zone} ${oracle.localDate(instant, zone)}`)
        }
      }
    }
    expect([...new Set(differing)].map((d) => d.split(' ')[0])).toEqual(
      expect.arrayContaining(['America/Santiago', 'America/Havana']),
    )
  })

  it('agrees on calendar dates: adding days, days between, allowed weekdays', () => {
    const random = seeded(7)
    const weekdays = [[1], [1, 2, 3, 4, 5], [6, 7], [3, 5], [1, 2, 3, 4, 5, 6, 7], [7]]
    for (let i = 0; i < 400; i++) {
      // Mostly 1900-2100, and one in ten anywhere from 1000 BC to AD 11,000 (±YYYYYY years).
      const years = i % 10 === 0 ? 12_000 * random() - 2970 : 200 * random() - 70
      const date = DateTime.fromMillis(Math.floor(years * 365.25) * DAY, { zone: 'UTC' }).toISODate()!
      const days = Math.floor(random() * 4000) - 2000
      const later = oracle.addDays(date, days)
      expect(addDays(date, days), `${date} + ${days}`).toBe(later)
      expect(daysBetween(date, later), `${date} → ${later}`).toBe(oracle.daysBetween(date, later))
      expect(daysBetween(later, date)).toBe(oracle.daysBetween(later, date))
      const allowed = weekdays[i % weekdays.length]!
      expect(nextAllowedDate(date, allowed), `${date} ${allowed}`).toBe(oracle.nextAllowedDate(date, allowed))
    }
    for (const [date, days] of [
      ['2024-02-29', 1],
      ['2100-02-28', 1],
      ['2000-02-28', 1],
      ['0000-12-31', -1],
      ['9999-12-31', 1],
      ['2026-03-01', 0.5],
      ['2026-03-01', -1.5],
    ] as const)
      expect(addDays(date, days), `${date} + ${days}`).toBe(oracle.addDays(date, days))
  })

  it('gives luxon’s answers for impossible and malformed input, and the same zone names', () => {
    for (const bad of ['2026-02-29', '2026-13-01', '2026-00-10', '2026-1-01', 'garbage', ''])
      expect([addDays(bad, 1), daysBetween(bad, '2026-01-01'), nextAllowedDate(bad, [1])], bad).toEqual([
        oracle.addDays(bad, 1),
        oracle.daysBetween(bad, '2026-01-01'),
        oracle.nextAllowedDate(bad, [1]),
      ])
    for (const odd of ['2026-3-8', ' 2026-03-08', '2026-03-08-x', '2026-02-30'])
      expect(localHourInstant(odd, 9, 'Europe/Paris').getTime(), odd).toBe(
        oracle.localHourInstant(odd, 9, 'Europe/Paris').getTime(),
      )
    // Where luxon threw ("W10" is no number) or filled in a missing month and day: an invalid Date.
    for (const notADate of ['2026-W10', '', '2026', 'garbage'])
      expect(localHourInstant(notADate, 9, 'Europe/Paris').getTime(), notADate).toBeNaN()
    expect(Number.isNaN(localHourInstant('2026-02-10', 25, 'Europe/Paris').getTime())).toBe(true)
    expect(localDate(new Date(Number.NaN), 'Europe/Paris')).toBe(
      oracle.localDate(new Date(Number.NaN), 'Europe/Paris'),
    )
    const invalid = localDayBounds(new Date(Number.NaN), 'Europe/Paris')
    expect([invalid.start.getTime(), invalid.end.getTime()]).toEqual([Number.NaN, Number.NaN])
    for (const name of [
      ...zones,
      'Mars/Olympus',
      '',
      null,
      undefined,
      'UTC+5',
      '+05:00',
      'utc',
      'GMT',
      'local',
      'system',
      'america/new_york',
      'Etc/GMT-14',
    ])
      expect(safeZone(name), String(name)).toBe(oracle.safeZone(name))
  })
})

describe('local time: the rules, spelled out', () => {
  it('moves a skipped hour past the gap and takes the first of a repeated one', () => {
    // New York: 02:00 is skipped on 14 March 2027, 01:00 happens twice on 7 November 2027.
    expect(iso(localHourInstant('2027-03-14', 2, 'America/New_York'))).toBe('2027-03-14T07:00:00.000Z')
    expect(iso(localHourInstant('2027-11-07', 1, 'America/New_York'))).toBe('2027-11-07T05:00:00.000Z')
    // Lord Howe moves by 30 minutes: 02:00 is skipped (02:30 comes instead) on 4 October 2026;
    // on 5 April 2026 01:30-02:00 repeats, so 02:00 happens once.
    expect(iso(localHourInstant('2026-10-04', 2, 'Australia/Lord_Howe'))).toBe('2026-10-03T15:30:00.000Z')
    expect(iso(localHourInstant('2026-04-05', 2, 'Australia/Lord_Howe'))).toBe('2026-04-04T15:30:00.000Z')
    // Troll falls back two hours (03:00 +02 → 01:00 +00): 01:00 and 02:00 repeat; the first is kept
    // whatever luxon's clock says.
    expect(iso(localHourInstant('2026-10-25', 1, 'Antarctica/Troll'))).toBe('2026-10-24T23:00:00.000Z')
    expect(iso(localHourInstant('2026-10-25', 2, 'Antarctica/Troll'))).toBe('2026-10-25T00:00:00.000Z')
    // Odd offsets: Kathmandu +05:45, Chatham +13:45 in its summer.
    expect(iso(localHourInstant('2027-06-01', 9, 'Asia/Kathmandu'))).toBe('2027-06-01T03:15:00.000Z')
    expect(iso(localHourInstant('2027-01-10', 9, 'Pacific/Chatham'))).toBe('2027-01-09T19:15:00.000Z')
    expect(localDate(at('2027-01-09T10:15:00Z'), 'Pacific/Chatham')).toBe('2027-01-10')
  })

  it('starts a day when its midnight is skipped and at the first of a repeated midnight; days tile', () => {
    // Santiago skips 00:00-01:00 on 6 September 2026: that day runs 01:00 -03 to the next midnight.
    expect(bounds(localDayBounds(at('2026-09-06T12:00:00Z'), 'America/Santiago'))).toEqual([
      '2026-09-06T04:00:00.000Z',
      '2026-09-07T03:00:00.000Z',
    ])
    // Havana has 00:00-01:00 twice on 1 November 2026: the day starts at the first, wherever in it.
    for (const instant of ['2026-11-01T04:30:00Z', '2026-11-01T12:00:00Z'])
      expect(bounds(localDayBounds(at(instant), 'America/Havana')), instant).toEqual([
        '2026-11-01T04:00:00.000Z',
        '2026-11-02T05:00:00.000Z',
      ])
    // Beirut skips midnight on 29 March 2026.
    expect(iso(localDayBounds(at('2026-03-29T12:00:00Z'), 'Asia/Beirut').start)).toBe(
      '2026-03-28T22:00:00.000Z',
    )
    const random = seeded(42)
    for (const zone of FOCUS) {
      for (let i = 0; i < 40; i++) {
        const instant = new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 3 * 365 * DAY))
        const { start, end } = localDayBounds(instant, zone)
        const where = `${zone} ${iso(instant)}`
        expect(start <= instant && instant < end, where).toBe(true)
        expect(localDate(start, zone), where).toBe(localDate(instant, zone))
        expect(localDate(new Date(start.getTime() - 1), zone), where).not.toBe(localDate(instant, zone))
        expect(localDate(new Date(end.getTime() - 1), zone), where).toBe(localDate(instant, zone))
        expect(iso(localDayBounds(end, zone).start), where).toBe(iso(end))
      }
    }
  })

  it('does not fail on instants of local mean time or far from now', () => {
    for (const zone of [
      'Asia/Kathmandu',
      'Africa/Monrovia',
      'America/New_York',
      'Pacific/Apia',
      'Europe/Amsterdam',
    ])
      for (const instant of [
        at('1800-06-01T12:00:00Z'),
        at('0500-01-01T00:00:00Z'),
        at('-000050-03-01T00:00:00Z'),
        at('+012000-07-01T00:00:00Z'),
      ]) {
        const where = `${zone} ${iso(instant)}`
        const date = oracle.localDate(instant, zone)
        expect(localDate(instant, zone), where).toBe(date)
        expect(bounds(localDayBounds(instant, zone)), where).toEqual(bounds(oracleDayBounds(instant, zone)))
        // (Both read a negative year's "-000050-..." as year 0, month 50: an invalid Date.)
        expect(localHourInstant(date, 9, zone).getTime(), where).toBe(
          oracle.localHourInstant(date, 9, zone).getTime(),
        )
      }
  })
})
