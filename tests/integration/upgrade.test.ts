import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Db } from '../../src/db/db'
import { loadMigrations, migrate } from '../../src/db/migrate'
import {
  DUMP_AT,
  END,
  type Expected,
  type FinalState,
  play,
  READERS,
  STEPS,
  type Step,
  type World,
} from '../fixtures/upgrade-0.1/scenario'
import { createTestDb, ENGINES } from '../helpers/db'
import { createHarness, FIXTURES, type Harness } from '../helpers/harness'
import { postForm } from '../helpers/web'

/**
 * Upgrading in place from release 0.1 (one course, its state in the subscriber row). The fixture is a
 * database that release wrote, dumped in the middle of a story with readers at every stage (see
 * tests/fixtures/upgrade-0.1/scenario.ts and generate.old.ts), and what that release went on to send
 * after the dump. This release opens the dump, migrates it, and plays the rest of the story: every
 * reader must get exactly the emails release 0.1 sent them, at the same instants.
 */
const FIXTURE = path.join(FIXTURES, 'upgrade-0.1')
const COURSE = 'avoiding-smp-regrets'
const dump = JSON.parse(readFileSync(path.join(FIXTURE, 'database.json'), 'utf8')) as {
  release: string
  dumpedAt: string
  tables: Record<string, Record<string, unknown>[]>
}
const expected = JSON.parse(readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as Expected

/** Writes the dumped rows into a database at release 0.1's schema (migrations 1 to 5). */
async function loadDump(db: Db): Promise<void> {
  // Tables others point at first.
  const order = ['subscribers', 'send_batches', 'deliveries', 'newsletter_sends', 'email_events']
  const tables = Object.keys(dump.tables).sort(
    (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99),
  )
  for (const table of tables) {
    const rows = dump.tables[table]!
    if (rows.length === 0) continue
    await db.query(
      `insert into ${table} overriding system value
       select * from json_populate_recordset(null::${table}, $1::json)`,
      [JSON.stringify(rows)],
    )
  }
  const { rows: identities } = await db.query<{ table_name: string; column_name: string }>(
    `select table_name, column_name from information_schema.columns
     where table_schema = current_schema() and is_identity = 'YES'`,
  )
  for (const { table_name, column_name } of identities)
    await db.query(
      `select setval(pg_get_serial_sequence($1, $2), coalesce((select max(${column_name}) from ${table_name}), 0) + 1, false)`,
      [table_name, column_name],
    )
}

describe.each(ENGINES)('upgrading in place from release 0.1 (%s)', (engine) => {
  let h: Harness | undefined
  afterEach(async () => {
    await h?.close()
    h = undefined
  })

  /** A release 0.1 database with the dump in it, migrated by starting this release. */
  async function upgraded() {
    const db = await createTestDb(engine, { migrations: loadMigrations().filter((m) => m.version <= 5) })
    await loadDump(db)
    const applied = await migrate(db)
    expect(applied[0]).toBe(6)
    h = await createHarness({
      engine,
      db,
      start: DUMP_AT,
      env: {
        LESSONS_DIR: path.join(FIXTURE, 'lessons'),
        NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
      },
    })
    return h
  }

  const idOf = async (h: Harness, email: string) =>
    (await h.db.query<{ id: number }>('select id from subscribers where email_key = $1', [email])).rows[0]!.id

  it('moves every reader’s place in the course into an enrolment in the shipped course', async () => {
    const h = await upgraded()
    const { rows } = await h.db.query<{
      email: string
      status: string
      last_day: number | null
      anchor_date: string | null
    }>(
      `select s.email, e.status, e.last_day, e.anchor_date from subscribers s
       left join enrolments e on e.subscriber_id = s.id and e.course = $1 order by s.email`,
      [COURSE],
    )
    const by = Object.fromEntries(rows.map((r) => [r.email, r]))
    expect(by['done@example.org']).toMatchObject({ status: 'completed', last_day: 17 })
    expect(by['paused@example.org']).toMatchObject({ status: 'paused' })
    expect(by['still@example.org']).toMatchObject({ status: 'paused', last_day: 4 })
    expect(by['pending@example.org']).toMatchObject({ status: 'pending', anchor_date: null })
    expect(by['expired@example.org']).toMatchObject({ status: 'pending', anchor_date: null })
    expect(by['fresh@example.org']).toMatchObject({
      status: 'active',
      last_day: 0,
      anchor_date: '2026-12-19',
    })
    // Every lesson and confirmation belongs to the course now; a newsletter to none.
    const { rows: kinds } = await h.db.query<{ kind: string; course: string | null; n: number }>(
      'select kind, course, count(*)::int as n from deliveries group by 1, 2 order by 1, 2',
    )
    expect(kinds.every((k) => (k.kind === 'newsletter' ? k.course === null : k.course === COURSE))).toBe(true)
    // "Unsubscribed after" names the lesson with its course.
    const { rows: left } = await h.db.query<{ unsubscribed_after: string }>(
      `select unsubscribed_after from subscribers where email_key = 'unsub@example.org'`,
    )
    expect(left[0]!.unsubscribed_after).toMatch(/^lesson:avoiding-smp-regrets\/[a-z-]+$/)
  })

  it('opens the links in mail sent before the upgrade', async () => {
    const h = await upgraded()
    const links = expected.links
    for (const url of [
      links['pending@example.org']!.confirm!,
      links['mid@example.org']!.unsubscribe!,
      links['paused@example.org']!.preferences!,
    ]) {
      const page = await h.services.web.request(url.replace(h.config.baseUrl, ''))
      expect(page.status, url).toBe(200)
    }
    // The preferences page of a paused reader shows the course paused, with its resume button.
    const prefs = await (
      await h.services.web.request(links['paused@example.org']!.preferences!.replace(h.config.baseUrl, ''))
    ).text()
    expect(prefs).toContain(`value="course:resume:${COURSE}"`)
  })

  it('sends every reader exactly what release 0.1 would have sent, at the same times, to the end', async () => {
    const h = await upgraded()
    const old = (step: Step) => expected.links[READERS[step.who]!.email]!
    const token = (url: string | undefined) => new URL(url!).searchParams.get('token')!
    const world: World = {
      now: () => h.clock.now(),
      set: (at) => h.clock.set(at),
      tick: () => h.tick(),
      async act(step) {
        let status = 0
        if (step.do === 'confirm')
          status = (await postForm(h, '/confirm', { token: token(old(step).confirm) })).status
        else if (step.do === 'resume')
          status = (
            await postForm(h, '/preferences', {
              token: token(old(step).preferences),
              action: `course:resume:${COURSE}`,
            })
          ).status
        else if (step.do === 'resubscribe')
          status = (
            await postForm(h, '/preferences', { token: token(old(step).preferences), action: 'resubscribe' })
          ).status
        else if (step.do === 'unsubscribe')
          status = (
            await h.services.web.request(old(step).unsubscribe!.replace(h.config.baseUrl, ''), {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: 'List-Unsubscribe=One-Click',
            })
          ).status
        else throw new Error(`the story has no ${step.do} after the dump`)
        expect(status, `${step.do} ${step.who}`).toBe(200)
        await h.services.sender.whenIdle()
      },
    }
    expect(STEPS.filter((s) => s.at > DUMP_AT).length).toBeGreaterThan(0)
    await play(world, END)

    const { rows } = await h.db.query<{ email: string; kind: string; item: string | null; sent_at: Date }>(
      `select s.email, d.kind, d.item, d.sent_at from deliveries d join subscribers s on s.id = d.subscriber_id
       where d.sent_at > $1 order by d.sent_at, s.email, d.kind, d.item`,
      [new Date(DUMP_AT)],
    )
    const after = rows.map((r) => ({
      email: r.email,
      kind: r.kind,
      item: r.item,
      sentAt: r.sent_at.toISOString(),
    }))
    expect(after).toEqual(expected.after)

    // None twice, over the whole life of the list.
    const { rows: twice } = await h.db.query(
      `select subscriber_id, item from deliveries where kind = 'lesson' and status = 'sent'
       group by subscriber_id, course, round, item having count(*) > 1`,
    )
    expect(twice).toEqual([])

    const { rows: ends } = await h.db.query<{
      email: string
      status: string
      enrolment: string | null
      last_day: number | null
    }>(
      `select s.email, s.status, e.status as enrolment, e.last_day from subscribers s
       left join enrolments e on e.subscriber_id = s.id and e.course = $1`,
      [COURSE],
    )
    const final: Record<string, FinalState> = Object.fromEntries(
      ends.map((r) => [
        r.email,
        {
          status: r.status,
          lastDay: r.last_day,
          completed: r.enrolment === 'completed',
          paused: r.enrolment === 'paused',
        },
      ]),
    )
    expect(final).toEqual(expected.final)
    expect(await idOf(h, 'still@example.org')).toBeGreaterThan(0)
  })
})
