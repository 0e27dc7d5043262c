import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import type { BenchContext } from './context'
import { median, notMeasured, type Row, repeat } from './report'
import { adminQuery, benchEnv, launcherNodeOptions, POSTGRES_URL, REPO_ROOT, TMP_DIR } from './setup'

/**
 * What a small server pays to run it: the memory of `npm start` at rest (a first start on a new data
 * folder, a later one, and on PostgreSQL) and how long it takes to be ready, and how long a CLI command
 * takes. Each process is started as users start it (bin/start.js, bin/course.js: the compiled
 * JavaScript). Baselines, measured in the same run: a bare PGlite with its default settings (what the
 * embedded database alone took before its settings were ours), and the same server and command run
 * from the TypeScript sources through tsx (how they ran before they were compiled).
 */

// With the Node options of package.json's scripts (and the launchers' first lines); the tsx baselines
// with the same options.
const START = [...launcherNodeOptions('start'), path.join(REPO_ROOT, 'bin/start.js')]
const START_TSX = [...launcherNodeOptions('start'), '--import', 'tsx', path.join(REPO_ROOT, 'src/main.ts')]
const COURSE = [...launcherNodeOptions('course'), path.join(REPO_ROOT, 'bin/course.js')]
const COURSE_TSX = [...launcherNodeOptions('course'), '--import', 'tsx', path.join(REPO_ROOT, 'src/cli.ts')]

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Resident and peak memory of a live process, in MB (Linux /proc). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN)
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** Starts a server on a free port; `ready` resolves once /healthz answers 200 (rejects if it exits first). */
async function startServer(args: string[], env: Record<string, string>) {
  const port = await freePort()
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr = `${stderr}${chunk}`.slice(-2000)
  })
  const ready = (async () => {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${stderr}`)
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`)
        .then((response) => response.status === 200)
        .catch(() => false)
      if (ok) return
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()
  return { child, ready }
}

/**
 * Starts a server, times it until /healthz answers 200, lets it rest `restMs` (its first tick and the
 * content check done) and reads its memory.
 */
async function serverRun(
  args: string[],
  env: Record<string, string>,
  restMs: number,
): Promise<{ readyMs: number; rss: number; peak: number }> {
  const started = performance.now()
  const { child, ready } = await startServer(args, env)
  try {
    await ready
    const readyMs = performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, restMs))
    return { readyMs, ...memoryOf(child.pid as number) }
  } finally {
    await stop(child)
  }
}

/** Runs a command to its end and returns how long it took. */
function commandRun(args: string[], env: Record<string, string>): Promise<number> {
  const started = performance.now()
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr += chunk
  })
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`exit ${code}: ${stderr}`)),
    ),
  )
}

/** A bare PGlite with its default settings in a fresh process: memory after creating, after reopening. */
function barePglite(dataDir: string): Promise<{ rss: number }> {
  const script = `const { PGlite } = await import('@electric-sql/pglite')
const db = await PGlite.create({ dataDir: process.argv[1] })
await db.query('select 1')
await new Promise((resolve) => setTimeout(resolve, 1000))
const rss = Number(/VmRSS:\\s+(\\d+)/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'))[1]) / 1024
await db.close()
console.log(JSON.stringify({ rss }))`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, dataDir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(out.trim()))
      } catch {
        reject(new Error(`bare PGlite exited ${code}`))
      }
    }),
  )
}

export async function benchFootprint(ctx: BenchContext): Promise<Row[]> {
  const runs = ctx.quick ? 1 : ctx.runs
  const restMs = ctx.quick ? 3000 : 10_000
  const dataDir = path.join(TMP_DIR, 'footprint')
  const env = benchEnv({
    DATA_DIR: dataDir,
    OUTBOX_DIR: path.join(dataDir, 'outbox'),
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
  })
  const embedded = '7. Footprint and start-up: `npm start` on the embedded default (PGlite)'
  const rows: Row[] = []

  ctx.log(`footprint: ${runs} first starts on a new data folder, ${restMs / 1000} s at rest each`)
  const first = await repeat(runs, async () => {
    rmSync(dataDir, { recursive: true, force: true })
    return serverRun(START, env, restMs)
  })
  ctx.log(`footprint: ${runs} later starts (compiled, then through tsx)`)
  const later = await repeat(runs, () => serverRun(START, env, restMs))
  const laterTsx = await repeat(runs, () => serverRun(START_TSX, env, restMs))
  ctx.log('footprint: a bare PGlite with its defaults, created and reopened')
  const bareDir = path.join(TMP_DIR, 'footprint-bare')
  const bareFirst = await repeat(runs, async () => {
    rmSync(bareDir, { recursive: true, force: true })
    return barePglite(bareDir)
  })
  const bareLater = await repeat(runs, () => barePglite(bareDir))
  rmSync(bareDir, { recursive: true, force: true })

  const bareFirstRss = median(bareFirst.map((r) => r.rss))
  const bareLaterRss = median(bareLater.map((r) => r.rss))
  const firstRss = median(first.map((r) => r.rss))
  const laterRss = median(later.map((r) => r.rss))
  rows.push(
    {
      group: embedded,
      figure: `RSS at rest, first start on a new data folder (${restMs / 1000} s after ready)`,
      value: firstRss,
      unit: 'MB',
      baseline: { label: 'bare PGlite, default settings, created', value: bareFirstRss, unit: 'MB' },
      aim: '<= 200 MB',
      ratio: firstRss / bareFirstRss,
      runs,
      note: `peak (VmHWM) ${Math.round(median(first.map((r) => r.peak)))} MB; the new folder is created (initdb) in a short-lived process of its own`,
    },
    {
      group: embedded,
      figure: 'RSS at rest, later start',
      value: laterRss,
      unit: 'MB',
      baseline: { label: 'bare PGlite, default settings, reopened', value: bareLaterRss, unit: 'MB' },
      aim: '<= 200 MB',
      ratio: laterRss / bareLaterRss,
      runs,
      note: `the same server through tsx from the sources: ${Math.round(median(laterTsx.map((r) => r.rss)))} MB`,
    },
    {
      group: embedded,
      figure: 'ready (spawn to /healthz 200), later start',
      value: median(later.map((r) => r.readyMs)),
      unit: 'ms',
      baseline: {
        label: 'from the sources through tsx',
        value: median(laterTsx.map((r) => r.readyMs)),
        unit: 'ms',
      },
      aim: '<= 3,000 ms',
      ratio: median(later.map((r) => r.readyMs)) / median(laterTsx.map((r) => r.readyMs)),
      runs,
      note: `first start on a new data folder: ${Math.round(median(first.map((r) => r.readyMs)))} ms`,
    },
  )

  ctx.log('footprint: course status, with the server running and without')
  const statusRuns = ctx.quick ? 2 : ctx.runs
  const alone = await repeat(statusRuns, () => commandRun([...COURSE, 'status'], env))
  const aloneTsx = await repeat(statusRuns, () => commandRun([...COURSE_TSX, 'status'], env))
  const { child: server, ready } = await startServer(START, env)
  let beside: number[] = []
  let besideTsx: number[] = []
  try {
    await ready
    beside = await repeat(statusRuns, () => commandRun([...COURSE, 'status'], env))
    besideTsx = await repeat(statusRuns, () => commandRun([...COURSE_TSX, 'status'], env))
  } finally {
    await stop(server)
  }
  rows.push(
    {
      group: embedded,
      figure: '`course status`, server running (through its socket)',
      value: median(beside),
      unit: 'ms',
      baseline: { label: 'from the sources through tsx', value: median(besideTsx), unit: 'ms' },
      aim: '<= 1,500 ms',
      ratio: median(beside) / median(besideTsx),
      runs: statusRuns,
    },
    {
      group: embedded,
      figure: '`course status`, no server (opens the data folder)',
      value: median(alone),
      unit: 'ms',
      baseline: { label: 'from the sources through tsx', value: median(aloneTsx), unit: 'ms' },
      aim: '<= 1,500 ms',
      ratio: median(alone) / median(aloneTsx),
      runs: statusRuns,
    },
  )
  rmSync(dataDir, { recursive: true, force: true })

  const onPg = '7. Footprint: `npm start` on PostgreSQL'
  if (ctx.postgresProblem) {
    rows.push(notMeasured(onPg, 'RSS at rest', ctx.postgresProblem))
    return rows
  }
  const schema = `bench_footprint_${process.pid}`
  await adminQuery(`create schema if not exists "${schema}"`)
  const url = new URL(POSTGRES_URL)
  url.searchParams.set('options', `-c search_path=${schema}`)
  const pgEnv = { ...env, DATABASE_URL: url.toString() }
  try {
    ctx.log(`footprint: ${runs} starts on PostgreSQL`)
    await serverRun(START, pgEnv, 500) // migrations applied once, outside the figures
    const pgRuns = await repeat(runs, () => serverRun(START, pgEnv, restMs))
    const pgTsx = await repeat(runs, () => serverRun(START_TSX, pgEnv, restMs))
    const rss = median(pgRuns.map((r) => r.rss))
    const tsxRss = median(pgTsx.map((r) => r.rss))
    rows.push(
      {
        group: onPg,
        figure: `RSS at rest (${restMs / 1000} s after ready)`,
        value: rss,
        unit: 'MB',
        baseline: { label: 'from the sources through tsx', value: tsxRss, unit: 'MB' },
        aim: '<= 100 MB',
        ratio: rss / tsxRss,
        runs,
      },
      {
        group: onPg,
        figure: 'ready (spawn to /healthz 200)',
        value: median(pgRuns.map((r) => r.readyMs)),
        unit: 'ms',
        baseline: {
          label: 'from the sources through tsx',
          value: median(pgTsx.map((r) => r.readyMs)),
          unit: 'ms',
        },
        aim: '<= 3,000 ms',
        ratio: median(pgRuns.map((r) => r.readyMs)) / median(pgTsx.map((r) => r.readyMs)),
        runs,
      },
    )
  } finally {
    await adminQuery(`drop schema if exists "${schema}" cascade`)
  }
  return rows
}
