import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { canonicalZone, PICKABLE_ZONES, RENAMED_ZONES, zoneGroups, zoneLabel } from '../../src/lib/timezones'

const ZONE_TAB = '/usr/share/zoneinfo/zone.tab'

describe('time zone names', () => {
  it.each([
    ['Asia/Kolkata', 'Asia/Kolkata'], // what Firefox and Safari send
    ['Asia/Calcutta', 'Asia/Kolkata'], // what Node 20 lists
    ['asia/kolkata', 'Asia/Kolkata'],
    ['europe/paris', 'Europe/Paris'],
    ['EUROPE/PARIS', 'Europe/Paris'],
    ['Europe/Kiev', 'Europe/Kyiv'],
    ['US/Eastern', 'America/New_York'],
    ['America/Buenos_Aires', 'America/Argentina/Buenos_Aires'],
    ['Etc/UTC', 'UTC'],
    ['GMT', 'UTC'],
    [' Europe/London ', 'Europe/London'],
  ])('%j is stored as %s', (given, stored) => {
    expect(canonicalZone(given)).toBe(stored)
  })

  it.each([['Mars/Olympus'], [''], ['x'.repeat(65)], [42], [null]])('%j is no zone', (given) => {
    expect(canonicalZone(given)).toBeNull()
  })

  it('offers every zone once, under its current name, grouped by region, without old aliases', () => {
    for (const old of ['Asia/Calcutta', 'Europe/Kiev', 'US/Eastern', 'Asia/Saigon', 'Etc/UTC'])
      expect(PICKABLE_ZONES).not.toContain(old)
    for (const current of ['Asia/Kolkata', 'Europe/Kyiv', 'America/New_York', 'Asia/Ho_Chi_Minh', 'UTC'])
      expect(PICKABLE_ZONES).toContain(current)
    expect(new Set(PICKABLE_ZONES).size).toBe(PICKABLE_ZONES.length)
    for (const zone of PICKABLE_ZONES) expect(canonicalZone(zone), zone).toBe(zone)
    const groups = zoneGroups()
    expect(groups[0]).toEqual({ region: 'UTC', zones: [{ value: 'UTC', label: 'UTC' }] })
    expect(groups.map((g) => g.region)).toContain('Europe')
    expect(groups.flatMap((g) => g.zones)).toHaveLength(PICKABLE_ZONES.length)
    expect(zoneLabel('America/Argentina/Buenos_Aires')).toBe('Buenos Aires (Argentina)')
    expect(zoneLabel('Europe/Isle_of_Man')).toBe('Isle of Man')
  })

  it('renames exactly the zones whose CLDR name is not the one in tzdata zone.tab', () => {
    if (!existsSync(ZONE_TAB)) {
      process.stderr.write(
        `\n!!! ${ZONE_TAB} is absent: the zone rename table was not checked against tzdata !!!\n\n`,
      )
      return expect(Object.keys(RENAMED_ZONES)).toHaveLength(19)
    }
    const tab = new Set(
      readFileSync(ZONE_TAB, 'utf8')
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => line.split('\t')[2]!),
    )
    const icu = Intl.supportedValuesOf('timeZone')
    expect(Object.keys(RENAMED_ZONES).sort()).toEqual(icu.filter((zone) => !tab.has(zone)).sort())
    for (const renamed of Object.values(RENAMED_ZONES)) expect(tab.has(renamed), renamed).toBe(true)
    // Every zone of zone.tab can be picked under its own name.
    for (const zone of tab) expect(PICKABLE_ZONES, zone).toContain(zone)
  })
})
