import { spawn } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { migrate } from '../../src/db/migrate'
import { openPglite } from '../../src/db/pglite-adapter'
import type { BenchContext } from './context'
import { startFakeProcess } from './fake-server'
import { compareSent } from './provider'
import { median, type Row, repeat } from './report'
import { benchContent } from './services'
import { benchConfig, benchEnv, type Engine, openBenchDb, REPO_ROOT, TMP_DIR } from './setup'
import { seedList } from './tick-seed'

const MB = 1024 * 1024

/** What memory-child.ts prints. */
interface ChildResult {
  queued: number
  sent: number
  seconds: number
  /** RSS once the database, content and services are open, before queueing. */
  before: number
  sampledPeak: number
  /** V8 heap and memory outside it (Buffers) at the sampled peak. */
  peakHeapTotal: number
  peakExternal: number
  vmHwm: number
}

interface SendResult {
  child: ChildResult | null
  exitCode: number | null
  duplicates: number
  lost: number
  output: string
}

/** A database with `size` confirmed readers, and the environment that points the CLI at it. */
async function prepare(
  engine: Engine,
  size: number,
): Promise<{ env: Record<string, string>; close: () => Promise<void> }> {
  const config = benchConfig()
  const course = (await benchContent(config)).current.courses[0]!
  if (engine === 'postgres') {
    const bench = await openBenchDb('postgres', 'memory')
    await seedList(bench.db, { size, course, now: new Date() })
    return { env: { DATABASE_URL: bench.url as string }, close: () => bench.close() }
  }
  // PGlite is one process only: seed its files here, close them, then let the CLI open them.
  const dataDir = path.join(TMP_DIR, 'memory-data')
  rmSync(dataDir, { recursive: true, force: true })
  mkdirSync(dataDir, { recursive: true })
  const db = await openPglite({ dataDir: path.join(dataDir, 'pgdata') })
  await migrate(db)
  await seedList(db, { size, course, now: new Date() })
  await db.close()
  return { env: { DATA_DIR: dataDir }, close: async () => rmSync(dataDir, { recursive: true, force: true }) }
}

/**
 * Runs the newsletter send (memory-child.ts: what `course newsletter send <slug> --yes` does, in
 * production mode) in a process of its own, which reports its peak resident set size (VmHWM) after
 * queueing and sending the issue to every reader through the real SDK to the fake Resend (no limit).
 */
async function sendOnce(engine: Engine, size: number): Promise<SendResult> {
  const db = await prepare(engine, size)
  const fake = await startFakeProcess({ rateLimitPerSecond: null, faultRate: 0, seed: 1 })
  try {
    const slug = (await benchContent(benchConfig())).current.newsletters[0]!.slug
    const env = benchEnv({
      ...db.env,
      NODE_ENV: 'production',
      RESEND_API_KEY: 're_bench',
      RESEND_BASE_URL: fake.url,
      RESEND_RATE_LIMIT: '1000',
    })
    const child = spawn(
      process.execPath,
      // The heap setting of `npm run course` (package.json): without it V8 sizes the heap for this
      // machine's 24 GB and lets garbage from the request bodies pile up before collecting it.
      [
        '--max-old-space-size=512',
        '--import',
        'tsx',
        path.join(import.meta.dirname, 'memory-child.ts'),
        slug,
      ],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      },
    )
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const last = output.trim().split('\n').at(-1) ?? ''
    const result = exitCode === 0 ? (JSON.parse(last) as ChildResult) : null
    const report = await fake.report()
    const expected = Array.from({ length: size }, (_, i) => `reader${i + 1}@example.org`)
    const { duplicates, lost } = compareSent(new Map(report.counts), expected)
    return { child: result, exitCode, duplicates, lost, output }
  } finally {
    await fake.close()
    await db.close()
  }
}

/**
 * Peak memory of a newsletter send to 100,000 readers (10,000 in quick mode), beside the same send
 * to a list ten times smaller: streamed in batches, the peak should not grow with the list.
 */
export async function benchMemory(ctx: BenchContext): Promise<Row[]> {
  const engine: Engine = ctx.postgresProblem ? 'pglite' : 'postgres'
  const [small, large] = ctx.quick ? [1000, 10_000] : [10_000, 100_000]
  const runs = ctx.quick ? 1 : Math.min(3, ctx.runs)
  const where = engine === 'pglite' ? 'PGlite, as PostgreSQL is unreachable' : 'PostgreSQL'
  const group = `5. Memory, newsletter send as \`course newsletter send\` does it (${where})`
  const measure = async (size: number) => {
    ctx.log(`memory: newsletter to ${size.toLocaleString('en-US')} readers, ${runs} run(s)`)
    const results = await repeat(runs, () => sendOnce(engine, size))
    const failed = results.find((r) => r.child === null)
    if (failed)
      throw new Error(`the newsletter send exited ${failed.exitCode}:\n${failed.output.slice(-2000)}`)
    return results.map((r) => ({ ...(r.child as ChildResult), duplicates: r.duplicates, lost: r.lost }))
  }
  const base = await measure(small)
  const big = await measure(large)
  type Measured = Awaited<ReturnType<typeof measure>>
  const peak = (results: Measured) => median(results.map((r) => Math.max(r.vmHwm, r.sampledPeak))) / MB
  const count = (n: number) => n.toLocaleString('en-US')
  const wrong = [...base, ...big].reduce((sum, r) => sum + r.duplicates + r.lost, 0)
  return [
    {
      group,
      figure: `peak RSS, ${count(large)} readers`,
      value: peak(big),
      unit: 'MB',
      baseline: { label: `${count(small)} readers`, value: peak(base), unit: 'MB' },
      aim: '< 300 MB',
      ratio: peak(big) / peak(base),
      runs,
      note: [
        'the sending process alone (VmHWM; memory-child.ts runs the CLI steps, see its header)',
        wrong === 0 ? 'every reader got exactly one email' : `WARNING: ${wrong} duplicates or lost`,
        // A short send ends before V8's heap has grown to its working size: the smaller list then
        // reads lower for that reason, not because memory follows the list.
        ...(ctx.quick ? ['quick sizes are too small for the heap to settle: compare the full run'] : []),
      ].join('; '),
    },
    {
      group,
      figure: '  of which: RSS once open, before queueing',
      value: median(big.map((r) => r.before)) / MB,
      unit: 'MB',
      runs,
      note: `Node + tsx + the loaded code (React Email, SDK, pg), compiled content, open database${engine === 'pglite' ? ' (PGlite: its whole WASM database lives in this process)' : ''}`,
    },
    {
      group,
      figure: '  at the peak: V8 heap allocated',
      value: median(big.map((r) => r.peakHeapTotal)) / MB,
      unit: 'MB',
      runs,
      note: `external (Buffers): ${median(big.map((r) => r.peakExternal / MB)).toFixed(0)} MB; the rest of RSS is code, stacks and the tsx loader thread`,
    },
    {
      group,
      figure: `send rate, ${count(large)} readers (no provider limit)`,
      value: median(big.map((r) => r.sent / r.seconds)),
      unit: 'emails/s',
      runs,
      note: 'queueing and sending, through the SDK to the fake in another process',
    },
  ]
}
