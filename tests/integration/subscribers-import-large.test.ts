import { once } from 'node:events'
import { createReadStream, createWriteStream, statSync } from 'node:fs'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importSubscribers } from '../../src/subscribers/import'
import { createHarness, type Harness } from '../helpers/harness'
import { MAIN_COURSE } from '../helpers/web'

// Large enough for many chunks and a file far bigger than one chunk's reading; the import's speed at
// 100,000 rows is measured by `npm run bench` (scripts/bench/import.ts), not here.
const ROWS = 20_000

type Kind = 'bad' | 'duplicate' | 'pending' | 'confirmed'

/** Every 100th row is bad, every 250th repeats an earlier (valid) address, every 10th has no proof of consent. */
function kindOf(i: number): Kind {
  if (i % 100 === 99) return 'bad'
  if (i % 250 === 0 && i > 0) return 'duplicate'
  return i % 10 === 0 ? 'pending' : 'confirmed'
}

function lineFor(i: number): string {
  switch (kindOf(i)) {
    case 'bad':
      return `broken-${i},Nobody,,,`
    case 'duplicate':
      return `person${i - 2}@example.org,Again,,,`
    case 'pending':
      return `person${i}@example.org,Pending ${i},Europe/Paris,,`
    default:
      return `person${i}@example.org,Person ${i},America/New_York,2026-05-01T12:00:00Z,legacy list`
  }
}

/** Writes the file line by line, as a stream (the test does not hold it whole either). */
async function writeBigCsv(file: string): Promise<void> {
  const out = createWriteStream(file)
  out.write('email,name,timezone,confirmed_at,consent_source\n')
  for (let i = 0; i < ROWS; i++) {
    if (!out.write(`${lineFor(i)}\n`)) await once(out, 'drain')
  }
  out.end()
  await finished(out)
}

describe('subscribers import of a large file (pglite)', () => {
  let h: Harness
  let file: string
  beforeAll(async () => {
    h = await createHarness({ engine: 'pglite' })
    file = path.join(h.dir, 'big.csv')
    await writeBigCsv(file)
  })
  afterAll(async () => {
    await h.close()
  })

  it('streams the file in chunks with flat memory, and counts every row', async () => {
    const size = statSync(file).size
    const source = createReadStream(file)
    // What stays alive, after a full collection (vitest runs workers with --expose-gc).
    const retained = () => {
      globalThis.gc?.()
      return process.memoryUsage().heapUsed
    }
    const heapBefore = retained()
    let heapPeak = heapBefore
    let readWhenFirstChunkDone = -1
    let problems = 0
    const result = await importSubscribers(h.services.subscribers, source, {
      course: MAIN_COURSE,
      onProblem: () => problems++,
      onProgress: ({ rows }) => {
        // Row 1,001 comes after two chunks were written: by then only the first bit of the file was read.
        if (rows === 1001) readWhenFirstChunkDone = source.bytesRead
        if (rows % 2000 === 0) heapPeak = Math.max(heapPeak, retained())
      },
    })

    const expected: Record<Kind, number> = { bad: 0, duplicate: 0, pending: 0, confirmed: 0 }
    for (let i = 0; i < ROWS; i++) expected[kindOf(i)]++
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const r = result.report
    expect(r.rows).toBe(ROWS)
    expect(problems).toBe(r.skipped)
    expect(r.skipped).toBe(expected.bad + expected.duplicate)
    expect(r.createdPending).toBe(expected.pending)
    expect(r.createdConfirmed).toBe(expected.confirmed)
    expect(r.lessonsQueued).toBe(expected.confirmed)

    const { rows } = await h.db.query<{ subscribers: number; confirmed: number; lessons: number }>(
      `select (select count(*)::int from subscribers) as subscribers,
         (select count(*)::int from subscribers where status = 'confirmed') as confirmed,
         (select count(*)::int from deliveries where kind = 'lesson' and status = 'queued') as lessons`,
    )
    expect(rows[0]).toEqual({
      subscribers: expected.pending + expected.confirmed,
      confirmed: expected.confirmed,
      lessons: expected.confirmed,
    })

    // Streaming, not slurping: when two chunks were done, well under a tenth of the file had been read.
    expect(readWhenFirstChunkDone).toBeGreaterThan(0)
    expect(readWhenFirstChunkDone).toBeLessThan(size / 10)
    // The file is about 1.4 MB and the rows as objects several times that; the set of seen addresses
    // (under a megabyte) is the only thing allowed to grow with the file, besides one chunk in flight.
    expect(globalThis.gc).toBeTypeOf('function')
    expect(heapPeak - heapBefore).toBeLessThan(24 * 1024 * 1024)
  })
})
