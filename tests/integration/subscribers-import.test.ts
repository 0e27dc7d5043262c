import { createReadStream } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../../src/db/db'
import type { Subscriber } from '../../src/db/rows'
import { estimatedRows } from '../../src/db/statistics'
import {
  recordErasure as addSuppression,
  findErasedKeys as findSuppressedKeys,
} from '../../src/subscribers/erased'
import { type ImportOptions, importSubscribers } from '../../src/subscribers/import'
import { formatRowProblem } from '../../src/subscribers/import-rows'
import { unsubscribe } from '../../src/subscribers/preferences'
import { ENGINES } from '../helpers/db'
import { createHarness, FIXTURES, type Harness } from '../helpers/harness'
import { MAIN_COURSE } from '../helpers/web'

const HEADER = 'email,name,timezone,confirmed_at,consent_source'

describe.each(ENGINES)('subscribers import (%s)', (engine) => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness({ engine })
  })
  afterEach(async () => {
    await h.close()
  })

  async function run(csv: string | Readable, options: ImportOptions = {}) {
    const problems: string[] = []
    const result = await importSubscribers(
      h.services.subscribers,
      typeof csv === 'string' ? Readable.from([Buffer.from(csv)]) : csv,
      // The real content holds two courses: new people join the main one.
      { course: MAIN_COURSE, ...options, onProblem: (p) => problems.push(formatRowProblem(p)) },
    )
    return { result, problems, report: result.ok ? result.report : undefined }
  }

  /** The reader's row with their enrolment in the course (its state, day 0, last lesson day). */
  async function subscriber(key: string) {
    const { rows } = await h.db.query<
      Subscriber & { enrolment: string | null; anchor_date: string | null; last_day: number | null }
    >(
      `select s.*, e.status as enrolment, e.anchor_date, e.last_day
       from subscribers s left join enrolments e on e.subscriber_id = s.id where s.email_key = $1`,
      [key],
    )
    return rows[0]
  }

  async function deliveriesOf(key: string) {
    const { rows } = await h.db.query<{ kind: string; item: string; status: string; due_at: Date }>(
      `select d.kind, d.item, d.status, d.due_at from deliveries d join subscribers s on s.id = d.subscriber_id
       where s.email_key = $1 order by d.id`,
      [key],
    )
    return rows
  }

  async function tableCounts() {
    const { rows } = await h.db.query<{ s: number; d: number; m: number }>(
      `select (select count(*)::int from subscribers) as s, (select count(*)::int from deliveries) as d,
         (select count(*)::int from meta) as m`,
    )
    return rows[0]
  }

  const lessons = () => h.services.webDeps.content().courses.find((c) => c.slug === MAIN_COURSE)!.lessons

  /** known@ confirmed and past lesson day 0; left@ unsubscribed; erased@ erased on request. */
  async function seed() {
    const seeded = await run(
      `${HEADER}\nknown@example.org,Kim,Europe/London,2026-01-01T00:00:00Z,old form\nleft@example.org,Lee,,2026-01-01T00:00:00Z,old form\n`,
    )
    expect(seeded.problems).toEqual([])
    await unsubscribe(h.services.subscribers, (await subscriber('left@example.org'))!.id, 'test')
    await addSuppression(h.db, 'erased@example.org', 'erased', h.clock.now())
    await h.tick()
    expect((await h.outbox()).map((m) => m.to)).toEqual(['known@example.org'])
  }

  it('creates, updates and skips as the file says, reporting bad rows by line', async () => {
    await seed()
    const knownBefore = (await subscriber('known@example.org'))!
    const { result, problems } = await run(createReadStream(path.join(FIXTURES, 'csv/mixed.csv')))

    expect(problems).toEqual([
      'line 6: email: erased on request; they must subscribe again themselves',
      'line 7: email: An email address needs an @, like name@example.com.',
      'line 8: email: the same address as line 3; skipped',
      'line 9: confirmed_at: "2099-01-01T00:00:00Z" is in the future (now is 2027-01-04T08:00:00.000Z)',
    ])
    expect(result).toEqual({
      ok: true,
      report: {
        dryRun: false,
        rows: 10,
        createdConfirmed: 2,
        createdPending: 2,
        confirmationsQueued: 0,
        lessonsQueued: 2,
        updated: 1,
        unchanged: 1,
        skipped: 4,
        stoppedAt: null,
      },
    })

    // Proof of consent: confirmed with the file's dates, enrolled as of today, lesson day 0 due now.
    const nia = (await subscriber('new.confirmed@example.org'))!
    expect(nia).toMatchObject({
      name: 'Nia',
      timezone: 'Europe/Paris',
      status: 'confirmed',
      confirmed_at: new Date('2026-06-01T10:00:00Z'),
      consent_at: new Date('2026-06-01T10:00:00Z'),
      consent_source: 'Webinar signup 2026',
      consent_text_version: 'import',
      anchor_date: '2027-01-04',
      last_day: null,
    })
    expect(await deliveriesOf('new.confirmed@example.org')).toEqual([
      { kind: 'lesson', item: lessons()[0]!.slug, status: 'queued', due_at: h.clock.now() },
    ])
    expect(await subscriber('quoted@example.org')).toMatchObject({
      name: 'Smith, Jo',
      timezone: 'Asia/Tokyo',
      consent_source: 'shop checkout, opt-in box',
      confirmed_at: new Date('2026-12-24T00:00:00Z'),
    })

    // No proof of consent: pending, and nothing sent without --send-confirmations.
    expect(await subscriber('new.pending@example.org')).toMatchObject({
      name: 'Pat',
      timezone: 'UTC',
      status: 'pending',
      confirmed_at: null,
      consent_at: null,
      confirmation_sent_at: null,
      anchor_date: null,
    })
    expect(await deliveriesOf('new.pending@example.org')).toEqual([])
    expect((await subscriber('late@example.org'))?.status).toBe('pending')

    // Existing: name and zone updated, nothing else; the waiting lesson moves to 09:00 New York.
    const known = (await subscriber('known@example.org'))!
    expect(known).toMatchObject({
      name: 'Kim Renamed',
      timezone: 'America/New_York',
      status: 'confirmed',
      confirmed_at: knownBefore.confirmed_at,
      consent_source: 'old form',
      anchor_date: knownBefore.anchor_date,
      last_day: 0,
    })
    const knownLessons = await deliveriesOf('known@example.org')
    expect(knownLessons.map((d) => [d.item, d.status])).toEqual([
      [lessons()[0]!.slug, 'sent'],
      [lessons()[1]!.slug, 'queued'],
    ])
    expect(knownLessons[1]!.due_at).toEqual(new Date('2027-01-06T14:00:00Z'))

    // Someone who left stays gone, proof of consent in the file or not.
    expect(await subscriber('left@example.org')).toMatchObject({ status: 'unsubscribed', name: 'Lee' })
    expect(await deliveriesOf('left@example.org')).toEqual([])
    expect(await subscriber('erased@example.org')).toBeUndefined()
    expect(await subscriber('future@example.org')).toBeUndefined()
    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from subscribers')
    expect(rows[0]?.n).toBe(6)

    // The next tick sends lesson day 0 to the two new confirmed people, and nothing else.
    await h.tick()
    const mail = await h.outbox()
    expect(
      mail
        .slice(1)
        .map((m) => m.to)
        .sort(),
    ).toEqual(['new.confirmed@example.org', 'quoted@example.org'])
    expect(mail[1]!.subject).toBe(lessons()[0]!.subject)
  })

  it('queues confirmations with --send-confirmations, and the imported person confirms as usual', async () => {
    const { report } = await run(`${HEADER}\nPat@Example.org,Pat,Europe/Berlin,,\n`, {
      sendConfirmations: true,
    })
    expect(report).toMatchObject({ createdPending: 1, confirmationsQueued: 1, lessonsQueued: 0 })
    expect((await subscriber('pat@example.org'))?.confirmation_sent_at).toEqual(h.clock.now())

    await h.tick()
    const [confirmation] = await h.outbox()
    expect(confirmation?.subject).toContain('Confirm')
    expect(confirmation?.to).toBe('Pat@example.org')
    const response = await h.services.web.request('/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URL(confirmation!.link('/confirm')!).searchParams.toString(),
    })
    expect(response.status).toBe(200)
    await h.services.sender.whenIdle()
    expect((await subscriber('pat@example.org'))?.status).toBe('confirmed')
    expect((await h.outbox()).map((m) => m.subject)).toEqual([confirmation!.subject, lessons()[0]!.subject])
  })

  it('never sends to existing people, even with --send-confirmations', async () => {
    await run(`${HEADER}\nwait@example.org,Wai,,,\n`)
    const { report } = await run(`${HEADER}\nwait@example.org,Wai Renamed,,,\n`, { sendConfirmations: true })
    expect(report).toMatchObject({ updated: 1, createdPending: 0, confirmationsQueued: 0 })
    expect(await deliveriesOf('wait@example.org')).toEqual([])
  })

  it('dry run: reports exactly what the real run then does, and writes nothing', async () => {
    await seed()
    const before = await tableCounts()
    const fixture = path.join(FIXTURES, 'csv/mixed.csv')
    const dry = await run(createReadStream(fixture), { dryRun: true, sendConfirmations: true })
    expect(await tableCounts()).toEqual(before)
    expect(await subscriber('known@example.org')).toMatchObject({ name: 'Kim', timezone: 'Europe/London' })

    const real = await run(createReadStream(fixture), { sendConfirmations: true })
    expect(dry.problems).toEqual(real.problems)
    expect(dry.report).toEqual({ ...real.report, dryRun: true })
    expect(real.report).toMatchObject({ createdPending: 2, confirmationsQueued: 2 })
  })

  it('importing the same file twice changes nothing the second time', async () => {
    const fixture = path.join(FIXTURES, 'csv/mixed.csv')
    await run(createReadStream(fixture))
    const before = await tableCounts()
    const again = await run(createReadStream(fixture))
    expect(again.report).toMatchObject({
      createdConfirmed: 0,
      createdPending: 0,
      updated: 0,
      lessonsQueued: 0,
    })
    // Without the seed, known@, left@ and erased@ are new too: seven people, all found again.
    expect(again.report?.unchanged).toBe(7)
    expect(await tableCounts()).toEqual(before)
  })

  it('streams in chunks: every good row kept, problems in line order across chunk boundaries', async () => {
    const lines = [HEADER]
    for (let i = 0; i < 11; i++) lines.push(i % 3 === 1 ? `bad-${i},,,,` : `p${i}@example.org,P${i},,,`)
    const { report, problems } = await run(`${lines.join('\n')}\n`, { chunkSize: 2 })
    expect(problems).toEqual(
      [1, 4, 7, 10].map((i) => `line ${i + 2}: email: An email address needs an @, like name@example.com.`),
    )
    expect(report).toMatchObject({ rows: 11, createdPending: 7, skipped: 4 })
  })

  it("refreshes the planner's statistics as the import doubles the tables, not in a dry run", async () => {
    const csv = (from: number, count: number) => {
      const lines = [HEADER]
      for (let i = from; i < from + count; i++)
        lines.push(`s${i}@example.org,S${i},UTC,2027-01-01T00:00:00Z,import`)
      return `${lines.join('\n')}\n`
    }
    const estimates = async () => ({
      subscribers: await estimatedRows(h.db, 'subscribers'),
      enrolments: await estimatedRows(h.db, 'enrolments'),
      deliveries: await estimatedRows(h.db, 'deliveries'),
    })
    expect(await estimates()).toEqual({ subscribers: 0, enrolments: 0, deliveries: 0 })
    await run(csv(0, 300), { chunkSize: 50, dryRun: true })
    expect(await estimates()).toEqual({ subscribers: 0, enrolments: 0, deliveries: 0 })
    // Analyzed after 50, 100, 200 created: the last one saw 200 people, each enrolled with lesson 1 queued.
    expect((await run(csv(0, 300), { chunkSize: 50 })).report).toMatchObject({ createdConfirmed: 300 })
    expect(await estimates()).toEqual({ subscribers: 200, enrolments: 200, deliveries: 200 })
    // Into a list of 300, 100 more do not double it: the statistics stay as they were.
    await run(csv(300, 100), { chunkSize: 50 })
    expect(await estimates()).toEqual({ subscribers: 200, enrolments: 200, deliveries: 200 })
  })

  it('goes on when the statistics cannot be refreshed (a role that may not analyze)', async () => {
    const { db } = h.services.subscribers
    const refusing: Db = {
      engine: db.engine,
      query: (sql, params) =>
        sql.startsWith('analyze')
          ? Promise.reject(new Error('must be owner of table'))
          : db.query(sql, params),
      exec: (sql) => db.exec(sql),
      transaction: (fn) => db.transaction(fn),
      close: () => db.close(),
    }
    const lines = [HEADER]
    for (let i = 0; i < 120; i++) lines.push(`r${i}@example.org,,UTC,2027-01-01T00:00:00Z,import`)
    const result = await importSubscribers(
      { ...h.services.subscribers, db: refusing },
      Readable.from([Buffer.from(`${lines.join('\n')}\n`)]),
      { course: MAIN_COURSE, chunkSize: 50 },
    )
    expect(result).toMatchObject({ ok: true, report: { rows: 120, createdConfirmed: 120 } })
    expect((await h.db.query('select count(*)::int as n from subscribers')).rows).toEqual([{ n: 120 }])
  })

  it('a file without the right header, empty, or not CSV changes nothing', async () => {
    const cases: [string | Buffer, string][] = [
      [
        '',
        'the file is empty: its first line must be the header email,name,timezone,confirmed_at,consent_source',
      ],
      ['\n\n', 'the file is empty'],
      ['email,name,timezone,confirmed,consent_source\na@example.org,A,,,\n', 'unknown column(s) "confirmed"'],
      ['email,name\na@example.org,A\n', 'missing column(s) "timezone", "confirmed_at", "consent_source"'],
      ['a@example.org,A,UTC,,\n', 'not a subscriber CSV'],
      [
        Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0xff, 0xfe, 0x0a]),
        'not a subscriber CSV',
      ],
      [
        '"email,name,timezone,confirmed_at,consent_source\n',
        'line 1: a quoted value starts here and is never closed',
      ],
    ]
    for (const [content, message] of cases) {
      const result = await importSubscribers(h.services.subscribers, Readable.from([Buffer.from(content)]), {
        course: MAIN_COURSE,
      })
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.message).toContain(message)
    }
    expect(await tableCounts()).toMatchObject({ s: 0, d: 0 })
  })

  it('keeps the rows before broken CSV syntax and says where reading stopped', async () => {
    const { report, problems } = await run(
      `${HEADER}\nok1@example.org,One,,,\nok2@example.org,Two,,,\nbroken@example.org,"Unclosed,,,\nlost@example.org,,,,\n`,
      { chunkSize: 1 },
    )
    expect(problems).toEqual([
      'line 4: csv: a quoted value starts here and is never closed; the rest of the file was not read',
    ])
    expect(report).toMatchObject({ rows: 2, createdPending: 2, stoppedAt: { line: 4, field: 'csv' } })
    expect(await subscriber('ok2@example.org')).toBeDefined()
    expect(await subscriber('lost@example.org')).toBeUndefined()
  })

  it('finds erased addresses by the same salted hash as suppression.ts', async () => {
    const keys = ['one@example.org', 'two@example.org', 'three@example.org']
    expect(await findSuppressedKeys(h.db, keys)).toEqual(new Set())
    await addSuppression(h.db, 'two@example.org', 'erased', h.clock.now())
    expect(await findSuppressedKeys(h.db, keys)).toEqual(new Set(['two@example.org']))
  })
})
