import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SubscriberStatus } from '../../src/db/rows'
import { searchSubscribers } from '../../src/subscribers/store'
import { findReaders, READERS_PAGE } from '../../src/web/admin/readers'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'

const TOKEN = 'admin-token-0123456789abcdef'
const SIZE = 1200
const COURSE_A = 'avoiding-smp-regrets'
const COURSE_B = 'unhappy-with-your-smp'

/** Reader n's state: every 10th unsubscribed, every 25th still pending, the rest confirmed. */
const stateOf = (n: number): SubscriberStatus =>
  n % 10 === 0 ? 'unsubscribed' : n % 25 === 1 ? 'pending' : 'confirmed'

describe.each(ENGINES)('finding readers: search, filters and cursor paging (%s)', (engine) => {
  let h: Harness
  /** Subscriber ids by reader number. */
  const ids = new Map<number, number>()

  beforeAll(async () => {
    h = await createHarness({ engine, env: { ADMIN_TOKEN: TOKEN } })
    // 1,200 readers, set-based: reader n is `reader-n@example.org` ("Reader n"), reader 7 has a
    // distinctive address and name, reader 8 a name with a percent sign. Everyone is in course A;
    // every 100th reader is in course B too (rare enough that a page spans several chunks).
    await h.db.query(
      `insert into subscribers (email, email_key, name, timezone, status, created_at, updated_at)
       select case when n = 7 then 'Alex.Smith@example.net' else 'reader-' || n || '@example.org' end,
              case when n = 7 then 'alex.smith@example.net' else 'reader-' || n || '@example.org' end,
              case when n = 7 then 'Alexandra' when n = 8 then '100% Sam' else 'Reader ' || n end,
              'UTC',
              case when n % 10 = 0 then 'unsubscribed' when n % 25 = 1 then 'pending' else 'confirmed' end,
              $2::timestamptz + n * interval '1 minute', $2::timestamptz
       from generate_series(1, $1::int) as n order by n`,
      [SIZE, '2026-12-01T00:00:00Z'],
    )
    const { rows } = await h.db.query<{ id: number; email: string }>('select id, email from subscribers')
    for (const row of rows) {
      const n = row.email.startsWith('Alex') ? 7 : Number(/reader-(\d+)@/.exec(row.email)![1])
      ids.set(n, row.id)
    }
    await h.db.query(
      `insert into enrolments (subscriber_id, course, status, created_at, updated_at)
       select id, $1, 'active', created_at, created_at from subscribers
       union all
       select id, $2, 'paused', created_at, created_at from subscribers where id % 100 = 0`,
      [COURSE_A, COURSE_B],
    )
  })
  afterAll(async () => {
    await h?.close()
  })

  /** Every page of a query, following the cursor to the end. */
  async function walk(query: Parameters<typeof findReaders>[1]) {
    const seen: number[] = []
    let before: number | undefined
    for (let pages = 0; pages < 100; pages++) {
      const page = await findReaders(h.db, { ...query, before })
      seen.push(...page.readers.map((r) => r.id))
      if (page.next === null) return { seen, pages: pages + 1 }
      before = page.next
    }
    throw new Error('paging did not end')
  }

  it('pages through every reader, newest first, without a gap or a repeat', async () => {
    const first = await findReaders(h.db, {})
    expect(first.readers).toHaveLength(READERS_PAGE)
    expect(first.readers[0]!.id).toBe(Math.max(...ids.values()))
    expect(first.next).toBe(first.readers.at(-1)!.id)
    const { seen, pages } = await walk({})
    expect(pages).toBe(Math.ceil(SIZE / READERS_PAGE))
    expect(seen).toEqual([...ids.values()].sort((a, b) => b - a))
  })

  it('lists each reader with their courses', async () => {
    const { readers } = await findReaders(h.db, { text: 'alex' })
    expect(readers.map((r) => [r.email, r.courses])).toEqual([
      ['Alex.Smith@example.net', `${COURSE_A}:active`],
    ])
  })

  it('finds readers by any part of the address or name, whatever the case', async () => {
    const emails = async (text: string) => (await findReaders(h.db, { text })).readers.map((r) => r.email)
    expect(await emails('SMITH@exam')).toEqual(['Alex.Smith@example.net'])
    expect(await emails('xandr')).toEqual(['Alex.Smith@example.net'])
    expect(await emails('reader-1199@')).toEqual(['reader-1199@example.org'])
    // LIKE's wildcards are taken literally: "%" finds the one name with a percent sign, "_" nothing.
    expect((await findReaders(h.db, { text: '100%' })).readers.map((r) => r.name)).toEqual(['100% Sam'])
    expect(await emails('_')).toEqual([])
    expect(await emails('no such reader')).toEqual([])
  })

  it('filters by state, and pages through the filtered list to its end', async () => {
    const { seen } = await walk({ status: 'unsubscribed' })
    const expected = [...ids].filter(([n]) => stateOf(n) === 'unsubscribed').map(([, id]) => id)
    expect(seen).toEqual(expected.sort((a, b) => b - a))
    const pending = await findReaders(h.db, { status: 'pending', text: 'reader-1101@' })
    expect(pending.readers.map((r) => r.status)).toEqual(['pending'])
  })

  it('filters by course across chunks, alone and with a state', async () => {
    const inB = [...ids.values()].filter((id) => id % 100 === 0).sort((a, b) => b - a)
    expect((await walk({ course: COURSE_B })).seen).toEqual(inB)
    const small = await findReaders(h.db, { course: COURSE_B }, 5)
    expect(small.readers.map((r) => r.id)).toEqual(inB.slice(0, 5))
    expect(small.next).toBe(inB[4])
    const next = await findReaders(h.db, { course: COURSE_B, before: small.next! }, 5)
    expect(next.readers.map((r) => r.id)).toEqual(inB.slice(5, 10))
    const both = await walk({ course: COURSE_B, status: 'confirmed' })
    expect(both.seen.every((id) => inB.includes(id))).toBe(true)
  })

  it('reads pages by keyset: a deep page costs one index range, not an offset', async () => {
    const deep = await searchSubscribers(h.db, { limit: 3, before: ids.get(600)! })
    expect(deep.map((s) => s.email)).toEqual([
      'reader-599@example.org',
      'reader-598@example.org',
      'reader-597@example.org',
    ])
  })

  it('has the trigram index where PostgreSQL offers pg_trgm, and searches without it on PGlite', async () => {
    const index = await h.db.query(
      "select 1 from pg_indexes where schemaname = current_schema() and indexname = 'subscribers_search'",
    )
    const trgm = await h.db.query("select 1 from pg_available_extensions where name = 'pg_trgm'")
    expect(index.rows.length).toBe(engine === 'postgres' && trgm.rows.length > 0 ? 1 : 0)
    if (engine === 'pglite') expect(index.rows).toEqual([])
  })

  it('serves the list page with the search kept in its form and a "Next page" cursor link', async () => {
    const get = (path: string) =>
      h.services.web.request(path, { headers: { authorization: `Bearer ${TOKEN}` } })
    const page = await (await get('/admin/readers?q=reader-11&state=confirmed')).text()
    expect(page).toContain('value="reader-11"')
    expect(page).toContain('<option value="confirmed" selected>')
    const next = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(page)?.[1]?.replaceAll('&amp;', '&')
    expect(next).toMatch(/^\/admin\/readers\?q=reader-11&state=confirmed&before=\d+$/)
    const second = await (await get(next!)).text()
    expect(second).toContain('First page')
    expect(second.match(/href="\/admin\/readers\/\d+"/g)?.length).toBeGreaterThan(0)
    const none = await (await get('/admin/readers?q=nobody-at-all')).text()
    expect(none).toContain('No reader matches.')
    expect(none).not.toContain('Next page')
  })
})
