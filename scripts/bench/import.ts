import { once } from 'node:events'
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import type { Db } from '../../src/db/db'
import { importSubscribers } from '../../src/subscribers/import'
import { readCsvRecords } from '../../src/subscribers/import-csv'
import { type BenchContext, PG_UNREACHABLE } from './context'
import { median, notMeasured, type Row } from './report'
import { buildServices, createInstantMailer, stopServices } from './services'
import { benchConfig, type Engine, openBenchDb, TMP_DIR } from './setup'

const GROUP = '9. Import: `subscribers import` of a CSV file (in process)'
const HEADER = 'email,name,timezone,confirmed_at,consent_source'

/** Every 100th row is bad; every 10th of the others has no proof of consent (it stays pending). */
function lineFor(i: number): string {
  if (i % 100 === 99) return `broken-${i},Nobody,,,`
  if (i % 10 === 0) return `person${i}@example.org,Pending ${i},Europe/Paris,,`
  return `person${i}@example.org,Person ${i},America/New_York,2026-05-01T12:00:00Z,legacy list`
}

async function writeCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file)
  out.write(`${HEADER}\n`)
  for (let i = 0; i < rows; i++) if (!out.write(`${lineFor(i)}\n`)) await once(out, 'drain')
  out.end()
  await finished(out)
}

/**
 * The baseline: the same file's good rows, read with the import's own CSV reader, written as bare
 * inserts, 500 to a statement (the import's chunk size), with none of the import's work: no checks of
 * address, zone or date, no duplicates caught, no enrolment, no lessons planned, no audit.
 */
async function bareInserts(db: Db, file: string): Promise<number> {
  let chunk: string[][] = []
  let written = 0
  const flush = async () => {
    if (chunk.length === 0) return
    const column = (index: number) => chunk.map((fields) => fields[index] || null)
    await db.query(
      `insert into subscribers (email, email_key, name, timezone, status, confirmed_at, consent_source)
       select e, lower(e), n, coalesce(z, 'UTC'), case when c is null then 'pending' else 'confirmed' end,
              c::timestamptz, s
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) as t(e, n, z, c, s)`,
      [column(0), column(1), column(2), column(3), column(4)],
    )
    written += chunk.length
    chunk = []
  }
  for await (const item of readCsvRecords(createReadStream(file))) {
    if (item.kind !== 'record') throw new Error(`${file}:${item.line}: ${item.message}`)
    if (item.line === 1 || !item.fields[0]?.includes('@')) continue
    chunk.push(item.fields)
    if (chunk.length === 500) await flush()
  }
  await flush()
  return written
}

interface Measured {
  importSeconds: number
  bareSeconds: number
  heapGrowthMiB: number
  created: number
}

async function measureOnce(engine: Engine, file: string, rows: number, run: number): Promise<Measured> {
  const config = benchConfig()
  const imported = await openBenchDb(engine, `import${run}`)
  let measured: Omit<Measured, 'bareSeconds'>
  try {
    const services = await buildServices({ config, db: imported.db, mailer: createInstantMailer() })
    try {
      globalThis.gc?.()
      const heapBefore = process.memoryUsage().heapUsed
      let heapPeak = heapBefore
      const course = services.webDeps.content().courses[0]!.slug
      const source = createReadStream(file)
      const start = performance.now()
      const result = await importSubscribers(services.subscribers, source, {
        course,
        onProgress: ({ rows: done }) => {
          if (done % 10_000 === 0) {
            globalThis.gc?.()
            heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
          }
        },
      })
      const importSeconds = (performance.now() - start) / 1000
      source.destroy()
      if (!result.ok) throw new Error(`the import refused the file: ${result.message}`)
      const report = result.report
      const expectedCreated = rows - Math.floor((rows + 1) / 100)
      const created = report.createdConfirmed + report.createdPending
      if (report.rows !== rows || created !== expectedCreated)
        throw new Error(`imported ${created} of ${report.rows} rows, expected ${expectedCreated} of ${rows}`)
      measured = { importSeconds, heapGrowthMiB: (heapPeak - heapBefore) / 1024 ** 2, created }
    } finally {
      await stopServices(services)
    }
  } finally {
    await imported.close()
  }
  const bare = await openBenchDb(engine, `bare${run}`)
  try {
    const start = performance.now()
    const written = await bareInserts(bare.db, file)
    const bareSeconds = (performance.now() - start) / 1000
    if (written !== measured.created)
      throw new Error(`bare inserts wrote ${written}, not ${measured.created}`)
    return { ...measured, bareSeconds }
  } finally {
    await bare.close()
  }
}

/**
 * `subscribers import` as the CLI runs it (importSubscribers on the services, in this process), of
 * a file of 100,000 rows (20,000 with --quick): 1% bad rows, a tenth pending, the rest confirmed and
 * enrolled in the course with their first lesson planned. Beside it, the same good rows as bare
 * inserts into the same kind of database: what the import's checks and bookkeeping cost.
 */
export async function benchImport(ctx: BenchContext): Promise<Row[]> {
  const rows = ctx.quick ? 20_000 : 100_000
  const size = rows.toLocaleString('en-US')
  const dir = path.join(TMP_DIR, 'import')
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `subscribers-${rows}.csv`)
  await writeCsv(file, rows)
  const out: Row[] = []
  try {
    for (const engine of ['pglite', 'postgres'] as const) {
      const label = engine === 'pglite' ? 'PGlite' : 'PostgreSQL'
      if (engine === 'postgres' && ctx.postgresProblem) {
        ctx.log(`!!! import on PostgreSQL NOT MEASURED: ${ctx.postgresProblem}`)
        out.push(notMeasured(GROUP, `${label}, ${size} rows`, PG_UNREACHABLE))
        continue
      }
      const results: Measured[] = []
      for (let run = 0; run < ctx.runs; run++) {
        ctx.log(`import: ${label}, ${size} rows, run ${run + 1} of ${ctx.runs}`)
        results.push(await measureOnce(engine, file, rows, run))
      }
      const importRate = median(results.map((r) => rows / r.importSeconds))
      const bareRate = median(results.map((r) => r.created / r.bareSeconds))
      out.push({
        group: GROUP,
        figure: `${label}, ${size} rows: rows imported per second`,
        value: importRate,
        unit: 'rows/s',
        baseline: { label: 'bare inserts of the good rows', value: bareRate, unit: 'rows/s' },
        ratio: importRate / bareRate,
        runs: results.length,
        note: `whole file in ${median(results.map((r) => r.importSeconds)).toFixed(1)} s; ${globalThis.gc ? 'heap kept' : 'heap in use (garbage included: node --expose-gc shows what is kept)'} during the import: ${median(results.map((r) => r.heapGrowthMiB)).toFixed(1)} MiB more than before (sampled every 10,000 rows${globalThis.gc ? ', after a collection' : ''})`,
      })
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return out
}
