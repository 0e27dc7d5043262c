import { Readable, Writable } from 'node:stream'
import { parse } from 'csv-parse/sync'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createToken } from '../../src/lib/links'
import { eraseSubscriber, readSubscriberRecord } from '../../src/privacy/privacy'
import { CONSENT_TEXT } from '../../src/subscribers/consent'
import { EXPORT_COLUMNS, exportSubscribers } from '../../src/subscribers/export'
import { importSubscribers } from '../../src/subscribers/import'
import { formatRowProblem } from '../../src/subscribers/import-rows'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'
import { MAIN_COURSE } from '../helpers/web'

const HEADER = 'email,name,timezone,confirmed_at,consent_source'

/** Collects what is written, slowly and in small pieces, so the exporter must wait for 'drain'. */
function slowSink() {
  const chunks: string[] = []
  let drains = 0
  const sink = new Writable({
    highWaterMark: 64,
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk))
      setImmediate(callback)
    },
  })
  sink.on('drain', () => drains++)
  return { sink, text: () => chunks.join(''), drains: () => drains }
}

describe.each(ENGINES)('subscriber privacy: export, show, erase (%s)', (engine) => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness({ engine })
  })
  afterEach(async () => {
    await h.close()
  })

  async function importCsv(csv: string) {
    const problems: string[] = []
    const result = await importSubscribers(h.services.subscribers, Readable.from([Buffer.from(csv)]), {
      course: MAIN_COURSE,
      onProblem: (p) => problems.push(formatRowProblem(p)),
    })
    return { result, problems }
  }

  async function idOf(key: string): Promise<number> {
    const { rows } = await h.db.query<{ id: number }>('select id from subscribers where email_key = $1', [
      key,
    ])
    return rows[0]!.id
  }

  /** Ada (form signup, confirmed, lesson 0 sent, three events that concern her) and Bob (one event of his own). */
  async function twoReaders() {
    const signup = await h.services.web.request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        email: 'Ada@example.org',
        name: 'Ada',
        timezone: 'Europe/London',
        course: MAIN_COURSE,
      }).toString(),
    })
    expect(signup.status).toBe(303)
    await h.services.sender.whenIdle()
    const link = new URL((await h.outbox())[0]!.link('/confirm')!)
    await h.services.web.request('/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: link.searchParams.toString(),
    })
    await importCsv(`${HEADER}\nbob@example.org,Bob,,2026-01-01T00:00:00Z,legacy\n`)
    await h.tick()
    const ada = await idOf('ada@example.org')
    const bob = await idOf('bob@example.org')
    const { rows } = await h.db.query<{ id: number; provider_id: string }>(
      `select id, provider_id from deliveries where subscriber_id = $1 and status = 'sent' order by id`,
      [ada],
    )
    expect(rows.length).toBeGreaterThanOrEqual(2)
    const event = (id: string, columns: Record<string, unknown>) =>
      h.db.query(
        `insert into email_events (event_id, type, provider_id, delivery_id, subscriber_id, received_at, payload)
         values ($1, 'email.delivered', $2, $3, $4, $5, $6)`,
        [
          id,
          columns.provider ?? null,
          columns.delivery ?? null,
          columns.subscriber ?? null,
          h.clock.now(),
          JSON.stringify({ type: 'email.delivered', data: { to: [columns.to] } }),
        ],
      )
    await event('evt_ada_linked', { subscriber: ada, delivery: rows[0]!.id, to: 'Ada@example.org' })
    await event('evt_ada_delivery_only', { delivery: rows[1]!.id, to: 'Ada@example.org' })
    await event('evt_ada_unmatched', { provider: rows[1]!.provider_id, to: 'Ada@example.org' })
    await event('evt_bob', { subscriber: bob, to: 'bob@example.org' })
    return { ada, bob }
  }

  it('show: the row, every delivery and every event that concerns them, no tokens', async () => {
    const { ada } = await twoReaders()
    const lookup = await readSubscriberRecord(h.db, 'ada@example.org')
    expect(lookup.found).toBe(true)
    if (!lookup.found) return
    const { record } = lookup
    expect(record.subscriber).toMatchObject({
      id: ada,
      email: 'Ada@example.org',
      status: 'confirmed',
      name: 'Ada',
    })
    expect(record.consentText).toBe(CONSENT_TEXT)
    expect(record.enrolments).toEqual([
      expect.objectContaining({ course: 'avoiding-smp-regrets', status: 'active', round: 1, last_day: 0 }),
    ])
    expect(record.erasureOnRecord).toBe(false)
    expect(record.deliveries.map((d) => [d.kind, d.status])).toEqual([
      ['confirmation', 'sent'],
      ['lesson', 'sent'],
      ['lesson', 'queued'],
    ])
    expect(record.deliveries[1]!.provider_id).toBeTruthy()
    expect(record.deliveries[1]!.sent_at).toBeInstanceOf(Date)
    expect(record.emailEvents.map((e) => e.event_id).sort()).toEqual([
      'evt_ada_delivery_only',
      'evt_ada_linked',
      'evt_ada_unmatched',
    ])
    expect(record.emailEvents[0]!.payload).toMatchObject({ data: { to: ['Ada@example.org'] } })
    const json = JSON.stringify(record)
    for (const purpose of ['unsubscribe', 'preferences'] as const)
      expect(json).not.toContain(createToken(h.config.secret, purpose, ada))
    expect(json).not.toContain(h.config.secret)

    expect(await readSubscriberRecord(h.db, 'nobody@example.org')).toEqual({ found: false, erased: false })
  })

  it('erase: removes them, their deliveries and events, keeps a hash that blocks imports until they sign up anew', async () => {
    const { bob } = await twoReaders()
    const before = await h.db.query<{ n: number }>(
      'select count(*)::int as n from deliveries where subscriber_id = $1',
      [await idOf('ada@example.org')],
    )
    const erased = await eraseSubscriber(h.db, 'ada@example.org', h.clock.now())
    expect(erased).toEqual({
      email: 'Ada@example.org',
      enrolments: 1,
      deliveries: before.rows[0]!.n,
      emailEvents: 3,
    })
    expect(
      (await h.db.query('select 1 from enrolments where subscriber_id = $1', [await idOf('bob@example.org')]))
        .rows,
    ).toHaveLength(1)
    expect((await h.db.query('select count(*)::int as n from enrolments')).rows).toEqual([{ n: 1 }])

    const left = await h.db.query<{
      subscribers: number
      deliveries: number
      events: string[]
      suppressions: number
    }>(
      `select (select count(*)::int from subscribers) as subscribers,
         (select count(*)::int from deliveries where subscriber_id <> $1) as deliveries,
         (select array_agg(event_id order by event_id) from email_events) as events,
         (select count(*)::int from suppressions where reason = 'erased') as suppressions`,
      [bob],
    )
    expect(left.rows[0]).toEqual({ subscribers: 1, deliveries: 0, events: ['evt_bob'], suppressions: 1 })
    // Nothing readable is left: the suppression row is a hash, not the address.
    // (A hex hash may contain "ada" by chance: look for the address's parts that are not hex.)
    const dump = await h.db.query<{ email_hash: string; reason: string }>(
      'select email_hash, reason from suppressions',
    )
    expect(dump.rows).toEqual([{ email_hash: expect.stringMatching(/^[0-9a-f]{64}$/), reason: 'erased' }])

    expect(await readSubscriberRecord(h.db, 'ada@example.org')).toEqual({ found: false, erased: true })
    expect(await eraseSubscriber(h.db, 'ada@example.org', h.clock.now())).toBeUndefined()
    const again = await importCsv(`${HEADER}\nADA@example.org,Ada,,2026-01-01T00:00:00Z,old list\n`)
    expect(again.problems).toEqual(['line 2: email: erased on request; they must subscribe again themselves'])

    // Subscribing anew and confirming is the way back.
    await h.services.web.request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'ada@example.org', course: MAIN_COURSE }).toString(),
    })
    await h.services.sender.whenIdle()
    const confirmation = (await h.outbox()).filter((m) => m.subject.includes('Confirm')).at(-1)!
    await h.services.web.request('/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URL(confirmation.link('/confirm')!).searchParams.toString(),
    })
    const back = await readSubscriberRecord(h.db, 'ada@example.org')
    expect(back.found && back.record.subscriber.status).toBe('confirmed')
    expect(back.found && back.record.erasureOnRecord).toBe(false)
  })

  it('export: every row in id order, page by page, waiting for a slow reader; re-importable as is', async () => {
    await importCsv(
      [
        HEADER,
        'one@example.org,=SUM(1+2),Europe/Paris,2026-01-01T10:00:00Z,"+form, page 2"',
        'two@example.org,Two,,,',
        'three@example.org,"Smith, Jo",Asia/Tokyo,2026-02-01T10:00:00Z,fair',
        'four@example.org,,,,',
        'five@example.org,Five,,2026-03-01T10:00:00Z,@import',
      ].join('\n'),
    )
    const { sink, text, drains } = slowSink()
    const written = await exportSubscribers(h.db, sink, { pageSize: 2 })
    expect(written).toBe(5)
    expect(drains()).toBeGreaterThan(0)
    const records = parse(text(), { columns: true }) as Record<string, string>[]
    expect(Object.keys(records[0]!)).toEqual([...EXPORT_COLUMNS])
    expect(records.map((r) => r.email)).toEqual([
      'one@example.org',
      'two@example.org',
      'three@example.org',
      'four@example.org',
      'five@example.org',
    ])
    expect(records[0]).toMatchObject({
      name: `'=SUM(1+2)`,
      timezone: 'Europe/Paris',
      status: 'confirmed',
      confirmed_at: '2026-01-01T10:00:00.000Z',
      consent_source: "'+form, page 2",
      consent_text_version: 'import',
      newsletter_opt_in: 'true',
      courses: 'avoiding-smp-regrets:active',
      created_at: h.clock.now().toISOString(),
    })
    expect(records[1]).toMatchObject({ name: 'Two', status: 'pending', confirmed_at: '', consent_at: '' })

    // The first five columns are an import file: reading them back changes nothing.
    const five = (parse(text()) as string[][]).map((fields) => fields.slice(0, 5))
    const { stringify } = await import('csv-stringify/sync')
    const reimport = await importCsv(stringify(five))
    expect(reimport.problems).toEqual([])
    expect(reimport.result).toMatchObject({ ok: true, report: { rows: 5, unchanged: 5, updated: 0 } })
    const { rows } = await h.db.query<{ name: string }>(
      `select name from subscribers where email_key = 'one@example.org'`,
    )
    expect(rows[0]!.name).toBe('=SUM(1+2)')
  })

  it('export of an empty list is the header alone', async () => {
    const { sink, text } = slowSink()
    expect(await exportSubscribers(h.db, sink)).toBe(0)
    expect(text()).toBe(`${EXPORT_COLUMNS.join(',')}\n`)
  })
})
