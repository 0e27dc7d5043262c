import { systemClock } from '../../src/lib/clock'
import { type BenchContext, PG_UNREACHABLE } from './context'
import { median, notMeasured, type Row } from './report'
import { buildServices, createInstantMailer, stopServices } from './services'
import { type BenchDb, benchConfig, openBenchDb } from './setup'
import { seedList } from './tick-seed'

const TOKEN = 'bench-admin-token-0123456789'
const GROUP = '7. Admin: readers list, one page of 50 (PostgreSQL, GET /admin/readers through the app)'

/** What is asked of the list, and how to say it; `at` picks a cursor from the list's size. */
const QUERIES: { figure: string; path: (size: number) => string; note?: string }[] = [
  { figure: 'first page', path: () => '/admin/readers' },
  {
    figure: 'a page half-way down (cursor)',
    path: (size) => `/admin/readers?before=${Math.floor(size / 2)}`,
  },
  { figure: 'filtered by state (1% unsubscribed)', path: () => '/admin/readers?state=unsubscribed' },
  {
    figure: 'filtered by course (2% in it)',
    path: () => '/admin/readers?course=unhappy-with-your-smp',
    note: 'a page reads at most 10,000 readers, then "Next page" goes on from there',
  },
  { figure: 'address fragment, many matches', path: () => '/admin/readers?q=example.org' },
  { figure: 'address fragment, one reader', path: (size) => `/admin/readers?q=reader${size - 12_345}@` },
]

/**
 * The list as it grows: readers as the tick benchmark seeds them (all confirmed, in the first course),
 * then every 100th unsubscribed and every 50th also in the second course.
 */
async function seed(
  ctx: BenchContext,
  bench: BenchDb,
  size: number,
  course: Parameters<typeof seedList>[1]['course'],
) {
  await seedList(bench.db, {
    size,
    course,
    now: systemClock.now(),
    onChunk: (done) => ctx.log(`  admin paging ${size.toLocaleString('en-US')}: seeded ${done}`),
  })
  await bench.db.query(`update subscribers set status = 'unsubscribed' where id % 100 = 0`)
  await bench.db.query(
    `insert into enrolments (subscriber_id, course, status, created_at, updated_at)
     select id, 'unhappy-with-your-smp', 'active', created_at, created_at from subscribers where id % 50 = 0`,
  )
  for (const table of ['subscribers', 'enrolments']) await bench.db.exec(`vacuum analyze ${table}`)
}

/** Times each query `runs` times (after one warm-up) through the whole app: routing, SQL, page. */
async function measure(ctx: BenchContext, size: number) {
  const bench = await openBenchDb('postgres', `admin${size}`)
  try {
    const config = benchConfig({ ADMIN_TOKEN: TOKEN })
    const services = await buildServices({ config, db: bench.db, mailer: createInstantMailer() })
    const seedStart = performance.now()
    await seed(ctx, bench, size, services.webDeps.content().courses[0]!)
    const seedSeconds = (performance.now() - seedStart) / 1000
    const results: { figure: string; ms: number; runs: number; note?: string }[] = []
    for (const query of QUERIES) {
      const path = query.path(size)
      const times: number[] = []
      for (let run = 0; run <= ctx.runs; run++) {
        const start = performance.now()
        const response = await services.web.request(path, { headers: { authorization: `Bearer ${TOKEN}` } })
        const page = await response.text()
        const ms = performance.now() - start
        if (response.status !== 200 || !page.includes('<h1>Readers</h1>'))
          throw new Error(`${path} answered ${response.status}`)
        if (run > 0) times.push(ms)
      }
      results.push({ figure: query.figure, ms: median(times), runs: times.length, note: query.note })
    }
    const { rows } = await bench.db.query<{ 'QUERY PLAN': string }>(
      `explain select * from subscribers where id < $1 order by id desc limit 51`,
      [Math.floor(size / 2)],
    )
    const plan = rows.map((r) => r['QUERY PLAN']).join(' ')
    // A fragment found once: through the trigram index (migration 009), or by reading the whole list.
    const trigram = await bench.db.query(
      `select 1 from pg_indexes where schemaname = current_schema() and indexname = 'subscribers_search'`,
    )
    const one = results.at(-1)!
    one.note =
      trigram.rows.length > 0
        ? 'found through the trigram index on address and name (migration 009, pg_trgm)'
        : 'WARNING: no trigram index (pg_trgm missing): the whole list is read'
    await stopServices(services)
    return { results, seedSeconds, keyset: plan.includes('subscribers_pkey') }
  } finally {
    await bench.close()
  }
}

/**
 * The admin's readers list at 10,000 and 1,000,000 readers on PostgreSQL (100,000 with --quick):
 * each page is a keyset range (ids below a cursor), so the first page, a page half-way down and a
 * filtered page should cost about the same at any size; a fragment that matches one reader is the
 * hard case, answered by the trigram index (without it: 1.3 s at a million, reading the whole list).
 */
export async function benchAdminPaging(ctx: BenchContext): Promise<Row[]> {
  const sizes = ctx.quick ? [10_000, 100_000] : [10_000, 1_000_000]
  if (ctx.postgresProblem) {
    ctx.log(`!!! admin paging NOT MEASURED: ${ctx.postgresProblem}`)
    return sizes.flatMap((size) =>
      QUERIES.map((q) =>
        notMeasured(GROUP, `${q.figure}, ${size.toLocaleString('en-US')} readers`, PG_UNREACHABLE),
      ),
    )
  }
  const rows: Row[] = []
  const baseline = new Map<string, number>()
  for (const size of sizes) {
    ctx.log(`admin paging: PostgreSQL, ${size.toLocaleString('en-US')} readers`)
    const { results, seedSeconds, keyset } = await measure(ctx, size)
    const largest = size === sizes.at(-1)
    results.forEach((result, index) => {
      const small = baseline.get(result.figure)
      if (!largest) baseline.set(result.figure, result.ms)
      const notes = [
        ...(index === 0 ? [`seeded in ${seedSeconds.toFixed(1)} s`] : []),
        ...(index === 1 && largest
          ? [keyset ? 'the page reads the primary key backwards from the cursor' : 'WARNING: no keyset plan']
          : []),
        ...(result.note && largest ? [result.note] : []),
      ]
      rows.push({
        group: GROUP,
        figure: `${result.figure}, ${size.toLocaleString('en-US')} readers`,
        value: result.ms,
        unit: 'ms',
        ...(largest && small !== undefined
          ? {
              baseline: { label: `${sizes[0]!.toLocaleString('en-US')} readers`, value: small, unit: 'ms' },
              ratio: result.ms / small,
              aim: '< 1,000 ms',
            }
          : {}),
        runs: result.runs,
        ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
      })
    })
  }
  return rows
}
