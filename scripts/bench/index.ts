/**
 * `npm run bench`: what the project exists for, measured side by side and printed as a table of
 * medians (also written to bench/results.json and bench/results.md for the README).
 * `npm run bench -- --quick`: smaller sizes and fewer runs, under two minutes, so CI keeps it working.
 * Its results, and those of partial runs (--only, --runs), go to bench/tmp/: only a complete full run
 * replaces the committed ones.
 *
 * Benchmarks, not tests: a slow figure never fails the run. A benchmark that breaks does (exit 1),
 * after the others have run. PostgreSQL rows say "NOT MEASURED" when the server does not answer.
 *
 * Options: --quick, --runs N (repeats per figure), --only personalize,build,tick,throughput,signup,memory,admin,engine,footprint,import
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, release, totalmem, type } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { benchAdminPaging } from './admin-paging'
import { benchBuild } from './build'
import type { BenchContext } from './context'
import { benchEngine } from './engine'
import { benchFootprint } from './footprint'
import { benchImport } from './import'
import { benchMemory } from './memory'
import { benchPersonalize } from './personalize'
import { formatMarkdown, formatTable, notMeasured, type Row } from './report'
import { adminQuery, closePglite, POSTGRES_URL, postgresProblem, REPO_ROOT, TMP_DIR } from './setup'
import { benchSignup } from './signup'
import { benchThroughput } from './throughput'
import { benchTick } from './tick'

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<Row[]>> = {
  personalize: benchPersonalize,
  tick: benchTick,
  throughput: benchThroughput,
  signup: benchSignup,
  memory: benchMemory,
  build: benchBuild,
  admin: benchAdminPaging,
  engine: benchEngine,
  footprint: benchFootprint,
  import: benchImport,
}

/** The commit measured, and whether tracked files differ from it (results belong to a version). */
function commit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim()
    const changed = git('status', '--porcelain', '--untracked-files=no') !== ''
    return `${git('rev-parse', '--short', 'HEAD')}${changed ? ' + local changes' : ''}`
  } catch {
    return 'unknown'
  }
}

async function machine(pgProblem: string | null) {
  const postgres = pgProblem
    ? `unreachable at ${new URL(POSTGRES_URL).host} (${pgProblem})`
    : ((await adminQuery<{ v: string }>(`select current_setting('server_version') as v`))[0]?.v ?? '?')
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${type()} ${release()}`,
    postgres,
    commit: commit(),
    date: new Date().toISOString(),
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, runs: { type: 'string' }, only: { type: 'string' } },
    strict: true,
  })
  const quick = values.quick ?? false
  const runs = values.runs ? Number(values.runs) : 3
  const only = values.only ? values.only.split(',') : Object.keys(BENCHMARKS)
  const unknown = only.filter((name) => !BENCHMARKS[name])
  if (unknown.length > 0 || !Number.isInteger(runs) || runs < 1) {
    process.stderr.write(
      `usage: npm run bench -- [--quick] [--runs N] [--only ${Object.keys(BENCHMARKS).join(',')}]\n`,
    )
    return 2
  }
  const started = performance.now()
  const log = (message: string) =>
    process.stderr.write(
      `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`,
    )
  const pgProblem = await postgresProblem()
  if (pgProblem) {
    const line = `PostgreSQL at ${new URL(POSTGRES_URL).host} is unreachable (${pgProblem}): its rows are NOT MEASURED.`
    process.stderr.write(`\n${'!'.repeat(line.length + 4)}\n! ${line} !\n${'!'.repeat(line.length + 4)}\n\n`)
  }
  const ctx: BenchContext = { quick, runs, postgresProblem: pgProblem, log }
  const about = await machine(pgProblem)
  const rows: Row[] = []
  const failures: string[] = []
  for (const name of only) {
    try {
      rows.push(...(await (BENCHMARKS[name] as (ctx: BenchContext) => Promise<Row[]>)(ctx)))
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
      failures.push(`${name}: ${message}`)
      rows.push(notMeasured(name, name, 'FAILED, see above'))
      log(`!!! ${name} FAILED: ${message}`)
    }
  }
  await closePglite()
  const seconds = Math.round((performance.now() - started) / 1000)

  const machineLine = `${about.cpu}, ${about.cores} cores, ${about.ramGiB} GiB RAM, Node ${about.node}, ${about.os}, PostgreSQL ${about.postgres}; commit ${about.commit}; ${about.date}`
  const mode = `${quick ? 'quick (--quick: reduced sizes)' : 'full'}, up to ${runs} runs per figure (see the runs column)`
  process.stdout.write(
    `\nMachine: ${machineLine}\nMode: ${mode}; took ${seconds} s\n\n${formatTable(rows)}\n`,
  )

  // Only a complete full run replaces the committed results; quick and partial runs go to bench/tmp/.
  const partial = Boolean(values.only || values.runs)
  const outDir = quick || partial ? TMP_DIR : path.join(REPO_ROOT, 'bench')
  mkdirSync(outDir, { recursive: true })
  const base = quick ? 'results-quick' : partial ? 'results-partial' : 'results'
  const json = { mode: quick ? 'quick' : 'full', runs, seconds, machine: about, rows }
  // Four significant digits: enough to compare, and no noise digits in a committed file's diffs.
  const rounded = (_key: string, value: unknown) =>
    typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(4)) : value
  writeFileSync(path.join(outDir, `${base}.json`), `${JSON.stringify(json, rounded, 2)}\n`)
  writeFileSync(
    path.join(outDir, `${base}.md`),
    `Measured on ${machineLine}; \`npm run bench\` (${mode}, ${seconds} s).\n\n${formatMarkdown(rows)}\n`,
  )
  process.stdout.write(`\nWrote ${path.relative(REPO_ROOT, path.join(outDir, `${base}.json`))} and .md\n`)
  for (const failure of failures) process.stderr.write(`\nFAILED ${failure}\n`)
  return failures.length > 0 ? 1 : 0
}

process.exitCode = await main()
