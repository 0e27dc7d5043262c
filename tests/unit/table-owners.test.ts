import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = path.resolve(import.meta.dirname, '../../src')

/**
 * Each table's statements live with its owner (the README's layout says which). A file outside the
 * owner that writes or reads a table is a second home for it: the next change would have to find both.
 * The few reads that cross on purpose are listed, each with its reason.
 */
const OWNERS: Record<string, { owner: RegExp; alsoReadBy?: Record<string, string> }> = {
  deliveries: { owner: /^delivery\/store\// },
  send_batches: { owner: /^delivery\/store\// },
  send_control: { owner: /^delivery\/throttle\.ts$/ },
  subscribers: {
    owner: /^subscribers\//,
    alsoReadBy: {
      'delivery/store/batches.ts': 'a batch is read with its recipients, in the claim that sends it',
      'course/progress.ts': 'an enrolment is read with its reader’s zone and status, and locks the reader',
    },
  },
  enrolments: { owner: /^course\/progress\.ts$/ },
  newsletter_sends: { owner: /^newsletters\/sends\.ts$/ },
  email_events: { owner: /^webhooks\/store\.ts$/ },
  suppressions: { owner: /^subscribers\/erased\.ts$/ },
  meta: { owner: /^db\/meta\.ts$/ },
  admin_sessions: { owner: /^web\/admin\/sessions\.ts$/ },
  api_keys: { owner: /^access\/keys\.ts$/ },
  api_idempotency: { owner: /^access\/keys\.ts$/ },
  webhook_endpoints: { owner: /^events\/store\.ts$/ },
  webhook_events: { owner: /^events\/store\.ts$/ },
  webhook_deliveries: { owner: /^events\/store\.ts$/ },
  webhook_attempts: { owner: /^events\/store\.ts$/ },
  audit_log: { owner: /^audit\/log\.ts$/ },
  schema_migrations: { owner: /^db\/migrate\.ts$/ },
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) return sourceFiles(full)
    return /\.tsx?$/.test(name) ? [full] : []
  })
}

/** The tables a file's SQL names after from / join / into / update (comments left out). */
function tablesIn(file: string): Map<string, 'reads' | 'writes'> {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1')
  const found = new Map<string, 'reads' | 'writes'>()
  for (const match of code.matchAll(/\b(delete\s+from|insert\s+into|update|from|join)\s+([a-z_]+)\b/g)) {
    const table = match[2]!
    if (!(table in OWNERS)) continue
    const verb = /^(from|join)$/.test(match[1]!) ? 'reads' : 'writes'
    if (found.get(table) !== 'writes') found.set(table, verb)
  }
  return found
}

describe('one owner for each table', () => {
  const files = sourceFiles(SRC).map((file) => ({ file, rel: path.relative(SRC, file) }))

  it('finds the statements it checks (the scan itself works)', () => {
    const seen = new Set(files.flatMap(({ file }) => [...tablesIn(file).keys()]))
    expect([...seen].sort()).toEqual(Object.keys(OWNERS).sort())
  })

  it('keeps every statement on a table in its owner, but for the listed reads', () => {
    const strays: string[] = []
    for (const { file, rel } of files) {
      for (const [table, use] of tablesIn(file)) {
        const { owner, alsoReadBy = {} } = OWNERS[table]!
        if (owner.test(rel)) continue
        if (use === 'reads' && rel in alsoReadBy) continue
        strays.push(`src/${rel} ${use} ${table}`)
      }
    }
    expect(strays).toEqual([])
  })

  it('inserts into deliveries from one file', () => {
    const inserting = files.filter(({ file }) =>
      /insert\s+into\s+deliveries\b/.test(readFileSync(file, 'utf8')),
    )
    expect(inserting.map(({ rel }) => rel)).toEqual(['delivery/store/queue.ts'])
  })
})
