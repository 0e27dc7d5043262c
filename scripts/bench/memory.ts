import { execFile, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { migrate } from '../../src/db/migrate'
import { openPglite } from '../../src/db/pglite-adapter'
import type { BenchContext } from './context'
import { startFakeProcess } from './fake-server'
import type { PhaseSample, ProbeResult } from './memory-child'
import { compareSent } from './provider'
import { median, type Row, repeat } from './report'
import { benchContent } from './services'
import {
  benchConfig,
  benchEnv,
  type Engine,
  launcherNodeOptions,
  openBenchDb,
  REPO_ROOT,
  TMP_DIR,
} from './setup'
import { seedList } from './tick-seed'

const MB = 1024 * 1024

/** One run of the command, as the probe and the fake provider saw it. */
interface Measured {
  /** The largest resident set of the run: VmHWM, or the sampled peak where /proc is missing. */
  peak: number
  /** The sample at the largest RSS of the whole run (what the peak was made of). */
  atPeak: PhaseSample
  phases: ProbeResult['phases']
  /** Readers reached per second from the first queued page to exit (queueing and sending). */
  rate: number
  duplicates: number
  lost: number
}

/** A database with `size` confirmed readers, and the environment that points the CLI at it. */
async function prepare(
  engine: Engine,
  size: number,
  log: (message: string) => void,
): Promise<{ env: Record<string, string>; close: () => Promise<void> }> {
  const config = benchConfig()
  const course = (await benchContent(config)).current.courses[0]!
  const onChunk = (done: number) => {
    if (size >= 500_000) log(`memory: seeded ${done.toLocaleString('en-US')} readers`)
  }
  if (engine === 'postgres') {
    const bench = await openBenchDb('postgres', 'memory')
    await seedList(bench.db, { size, course, now: new Date(), onChunk })
    return { env: { DATABASE_URL: bench.url as string }, close: () => bench.close() }
  }
  // PGlite is one process only: seed its files here, close them, then let the CLI open them.
  const dataDir = path.join(TMP_DIR, 'memory-data')
  rmSync(dataDir, { recursive: true, force: true })
  mkdirSync(dataDir, { recursive: true })
  const db = await openPglite({ dataDir: path.join(dataDir, 'pgdata') })
  await migrate(db)
  await seedList(db, { size, course, now: new Date(), onChunk })
  await db.close()
  return { env: { DATA_DIR: dataDir }, close: async () => rmSync(dataDir, { recursive: true, force: true }) }
}

/**
 * Compiles the CLI if its sources changed (bin/build.js), so that the measured command does not
 * compile on its start. Called right before each run: other edits may land during a long benchmark.
 */
async function buildCli(): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin/build.js')], { cwd: REPO_ROOT })
}

/** Compiles the probe (memory-child.ts) for `--import` and returns its URL. */
async function buildProbe(): Promise<string> {
  const outfile = path.join(TMP_DIR, 'memory-probe.mjs')
  await build({
    entryPoints: [path.join(import.meta.dirname, 'memory-child.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
  })
  return pathToFileURL(outfile).href
}

/**
 * Runs `node bin/course.js newsletter send <slug> --yes` as `npm run course` does (compiled JavaScript,
 * its Node options) in production mode, sending through the real SDK to the fake Resend in another
 * process (no limit), with the probe (memory-child.ts) loaded to record its memory. The fake counts
 * what every address got.
 */
async function sendOnce(engine: Engine, size: number, probe: string, log: (m: string) => void) {
  const db = await prepare(engine, size, log)
  const fake = await startFakeProcess({ rateLimitPerSecond: null, faultRate: 0, seed: 1 })
  const probeOut = path.join(TMP_DIR, `memory-probe-${process.pid}.json`)
  rmSync(probeOut, { force: true })
  try {
    const slug = (await benchContent(benchConfig())).current.newsletters[0]!.slug
    const env = benchEnv({
      ...db.env,
      NODE_ENV: 'production',
      RESEND_API_KEY: 're_bench',
      RESEND_BASE_URL: fake.url,
      RESEND_RATE_LIMIT: '1000',
      MEMORY_PROBE_OUT: probeOut,
    })
    log(`memory: sending to ${size.toLocaleString('en-US')} readers`)
    await buildCli()
    const child = spawn(
      process.execPath,
      [
        ...launcherNodeOptions('course'),
        '--import',
        probe,
        path.join(REPO_ROOT, 'bin/course.js'),
        'newsletter',
        'send',
        slug,
        '--yes',
      ],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } },
    )
    let output = ''
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    if (exitCode !== 0) throw new Error(`the newsletter send exited ${exitCode}:\n${output.slice(-2000)}`)
    const result = JSON.parse(readFileSync(probeOut, 'utf8')) as ProbeResult
    const report = await fake.report()
    const expected = Array.from({ length: size }, (_, i) => `reader${i + 1}@example.org`)
    const { duplicates, lost } = compareSent(new Map(report.counts), expected)
    const samples = Object.values(result.phases)
    const atPeak = samples.reduce((a, b) => (b.rss > a.rss ? b : a))
    const from = result.phases.queueing?.startMs ?? 0
    return {
      peak: Math.max(result.vmHwm, atPeak.rss),
      atPeak,
      phases: result.phases,
      rate: size / ((result.totalMs - from) / 1000),
      duplicates,
      lost,
    } satisfies Measured
  } finally {
    rmSync(probeOut, { force: true })
    await fake.close()
    await db.close()
  }
}

/**
 * Peak memory of `course newsletter send` to 1,000,000 readers (and 100,000; 10,000 in quick mode),
 * beside the same send to 10,000 (1,000): read in pages and sent in batches, the peak should not grow
 * with the list. Also what the memory is made of: RSS once open, the peak of each phase, and at the
 * peak V8's heap, memory outside it (Buffers), the mapped node binary and the rest (malloc, stacks).
 */
export async function benchMemory(ctx: BenchContext): Promise<Row[]> {
  const engine: Engine = ctx.postgresProblem ? 'pglite' : 'postgres'
  const [small, ...larger] = ctx.quick ? [1000, 10_000] : [10_000, 100_000, 1_000_000]
  const largest = larger.at(-1) as number
  const runs = ctx.quick ? 1 : Math.min(3, ctx.runs)
  const where = engine === 'pglite' ? 'PGlite, as PostgreSQL is unreachable' : 'PostgreSQL'
  const group = `5. Memory, \`course newsletter send\` (compiled CLI, ${where})`
  const probe = await buildProbe()
  const count = (n: number) => n.toLocaleString('en-US')
  const measure = async (size: number, times: number) => {
    ctx.log(`memory: newsletter to ${count(size)} readers, ${times} run(s)`)
    return repeat(times, () => sendOnce(engine, size, probe, ctx.log))
  }
  const base = await measure(small, runs)
  const measured = new Map<number, Measured[]>()
  // A million readers take minutes to seed and send: one run.
  for (const size of larger) measured.set(size, await measure(size, size >= 1_000_000 ? 1 : runs))
  const big = measured.get(largest) as Measured[]
  const peak = (results: readonly Measured[]) => median(results.map((r) => r.peak)) / MB
  const mb = (results: readonly Measured[], pick: (r: Measured) => number | undefined) =>
    median(results.map((r) => pick(r) ?? Number.NaN)) / MB
  const wrong = [base, ...measured.values()].flat().reduce((sum, r) => sum + r.duplicates + r.lost, 0)
  const exact = wrong === 0 ? 'every reader got exactly one email' : `WARNING: ${wrong} duplicates or lost`
  const peakRows = larger.map(
    (size): Row => ({
      group,
      figure: `peak RSS, ${count(size)} readers`,
      value: peak(measured.get(size) as Measured[]),
      unit: 'MB',
      baseline: { label: `${count(small)} readers`, value: peak(base), unit: 'MB' },
      ...(size === largest && !ctx.quick ? { aim: '≤ 120 MB' } : {}),
      ratio: peak(measured.get(size) as Measured[]) / peak(base),
      runs: (measured.get(size) as Measured[]).length,
      note: [
        `the sending process alone (its VmHWM): \`node ${launcherNodeOptions('course').join(' ')} bin/course.js newsletter send <slug> --yes\`, as \`npm run course\` runs it`,
        exact,
        // A short send ends before V8's heap has grown to its working size: the smaller list then
        // reads lower for that reason, not because memory follows the list.
        ...(ctx.quick ? ['quick sizes are too small for the heap to settle: compare the full run'] : []),
      ].join('; '),
    }),
  )
  const of = `${count(largest)} readers`
  const detail = (figure: string, pick: (r: Measured) => number | undefined, note: string): Row => ({
    group,
    figure: `  ${figure}, ${of}`,
    value: mb(big, pick),
    unit: 'MB',
    runs: big.length,
    note,
  })
  return [
    ...peakRows,
    {
      ...detail(
        'RSS once open (before queueing)',
        (r) => r.phases.opening?.rss,
        `Node, the loaded code, compiled content, open database, audience counted${engine === 'pglite' ? ' (PGlite: its whole WASM database lives in this process)' : ''}`,
      ),
      baseline: {
        label: `${count(small)} readers`,
        value: mb(base, (r) => r.phases.opening?.rss),
        unit: 'MB',
      },
    },
    detail('RSS peak while queueing', (r) => r.phases.queueing?.rss, 'the audience read and queued in pages'),
    detail(
      'RSS peak while sending',
      (r) => r.phases.sending?.rss,
      'claim, compose and send batches of 100 through the SDK (fetch), settle',
    ),
    detail(
      'at the peak: V8 heap allocated',
      (r) => r.atPeak.heapTotal,
      `of which used: ${mb(big, (r) => r.atPeak.heapUsed).toFixed(0)} MB; the rest is room V8 keeps (young generation, free old-space pages)`,
    ),
    detail(
      'at the peak: external (Buffers)',
      (r) => r.atPeak.external,
      `of which ArrayBuffers: ${mb(big, (r) => r.atPeak.arrayBuffers).toFixed(1)} MB (request bodies not yet collected)`,
    ),
    detail(
      'at the peak: mapped files',
      (r) => r.atPeak.mappedFiles,
      'resident pages of the node binary and shared libraries (/proc smaps_rollup: Rss - Anonymous)',
    ),
    detail(
      'at the peak: the rest',
      (r) => r.atPeak.rss - r.atPeak.heapTotal - r.atPeak.external - r.atPeak.mappedFiles,
      'RSS - V8 heap - external - mapped files: malloc (V8 zones, libuv, OpenSSL), stacks; negative when V8 holds heap it has not touched',
    ),
    {
      group,
      figure: `send rate, ${of} (no provider limit)`,
      value: median(big.map((r) => r.rate)),
      unit: 'emails/s',
      runs: big.length,
      note: 'queueing and sending, through the SDK to the fake in another process',
    },
  ]
}
