/**
 * Time zones by one name each. A zone has several names: browsers send IANA's current one
 * (`Asia/Kolkata`, what Firefox and Safari report), older systems an alias (`Asia/Calcutta`,
 * `US/Eastern`), an API client any letter case (`europe/paris`). Node 20's ICU knows them all but
 * canonicalises to CLDR's names, which keep 19 zones under names IANA has since replaced; those are
 * renamed here, so every zone is stored and shown under the name IANA's zone.tab uses.
 */

/**
 * CLDR's canonical name → IANA's current one: exactly the zones of `Intl.supportedValuesOf('timeZone')`
 * (Node 20, ICU 78) that are not in tzdata's zone.tab, each with the zone.tab name it stands for. A test
 * checks the table against the system's zone.tab where one is installed.
 */
export const RENAMED_ZONES: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
}

const MAX_NAME_LENGTH = 64

/**
 * The one name we store for a zone given under any of its names and in any letter case, or null when
 * it is not a time zone. `UTC`, `GMT`, `Etc/UTC` and the like are all `UTC`.
 */
export function canonicalZone(input: unknown): string | null {
  if (typeof input !== 'string') return null
  const name = input.trim()
  if (name === '' || name.length > MAX_NAME_LENGTH) return null
  let resolved: string
  try {
    resolved = new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    return null
  }
  if (resolved === 'Etc/UTC' || resolved === 'Etc/GMT' || resolved === 'GMT') return 'UTC'
  return RENAMED_ZONES[resolved] ?? resolved
}

/** Every zone a person may pick, under its current name, sorted. */
export const PICKABLE_ZONES: readonly string[] = Object.freeze(
  [
    ...new Set(['UTC', ...Intl.supportedValuesOf('timeZone').map((zone) => RENAMED_ZONES[zone] ?? zone)]),
  ].sort(),
)

/** A zone as a person reads it in a list: `America/Argentina/Buenos_Aires` → `Buenos Aires (Argentina)`. */
export function zoneLabel(zone: string): string {
  const parts = zone.split('/').map((part) => part.replaceAll('_', ' '))
  if (parts.length <= 1) return parts[0] ?? zone
  const city = parts.at(-1)!
  const within = parts.slice(1, -1)
  return within.length > 0 ? `${city} (${within.join(', ')})` : city
}

/** The picker's groups: zones by their region (`Europe`, `America`…), UTC on its own first. */
export function zoneGroups(): { region: string; zones: { value: string; label: string }[] }[] {
  const groups = new Map<string, { value: string; label: string }[]>()
  for (const zone of PICKABLE_ZONES) {
    const region = zone.includes('/') ? zone.slice(0, zone.indexOf('/')) : 'UTC'
    const list = groups.get(region) ?? []
    list.push({ value: zone, label: zoneLabel(zone) })
    groups.set(region, list)
  }
  for (const list of groups.values()) list.sort((a, b) => a.label.localeCompare(b.label, 'en'))
  return [...groups]
    .sort(([a], [b]) => (a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b)))
    .map(([region, zones]) => ({ region, zones }))
}
