import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function postgresReachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('select 1')
    return null
  } catch (error) {
    return (error as Error).message
  } finally {
    await client.end().catch(() => {})
  }
}

function banner(lines: string[]) {
  const width = Math.max(...lines.map((line) => line.length)) + 4
  process.stderr.write(
    `\n${'!'.repeat(width)}\n${lines.map((line) => `! ${line.padEnd(width - 4)} !`).join('\n')}\n${'!'.repeat(width)}\n\n`,
  )
}

/**
 * Finds out once which real services the tests can use, tells every test worker, and says loudly
 * what is missing. With REQUIRE_POSTGRES=1 / REQUIRE_CHROMIUM=1 (as in CI) a missing one fails the run.
 */
export default async function setup(project: TestProject) {
  // Processes the tests start run the compiled JavaScript, as npm start does: compile it once here
  // rather than in several of them at the same moment.
  // @ts-expect-error: plain JavaScript without declarations
  const { ensureBuilt } = await import('../../bin/build.js')
  await ensureBuilt()
  const pgProblem = await postgresReachable()
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  const hasChromium = existsSync(chromium)
  const missing: string[] = []
  if (pgProblem)
    missing.push(
      `PostgreSQL at ${TEST_DATABASE_URL} is not reachable (${pgProblem}): storage tests run on PGlite only.`,
    )
  if (!hasChromium)
    missing.push(
      `Chromium not found at ${chromium}: browser tests are NOT run (apt-get install -y chromium).`,
    )
  if (missing.length > 0) banner(['SOME TESTS CANNOT RUN ON THIS MACHINE', ...missing])
  if (pgProblem && process.env.REQUIRE_POSTGRES === '1')
    throw new Error(`REQUIRE_POSTGRES=1 but ${missing[0]}`)
  if (!hasChromium && process.env.REQUIRE_CHROMIUM === '1')
    throw new Error(`REQUIRE_CHROMIUM=1 but Chromium is missing at ${chromium}`)
  project.provide('postgresUrl', pgProblem ? null : TEST_DATABASE_URL)
  project.provide('chromiumPath', hasChromium ? chromium : null)
  project.provide('pgliteTemplate', pgliteTemplate())
}

/**
 * A new, empty PGlite database as a tar file, made once per PGlite version (in a process of its own:
 * initdb takes seconds and 800 MB). Each test file's in-memory PGlite starts from it instead of
 * running initdb again.
 */
function pgliteTemplate(): string {
  const require = createRequire(import.meta.url)
  const entry = require.resolve('@electric-sql/pglite')
  const version = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8'))
    .version as string
  const dir = path.resolve(import.meta.dirname, '../../node_modules/.cache/course-tests')
  const file = path.join(dir, `pglite-${version}-empty.tar`)
  if (existsSync(file)) return file
  mkdirSync(dir, { recursive: true })
  const temporary = `${file}.${process.pid}.tmp`
  const script = `const { PGlite } = require(${JSON.stringify(entry)})
const { writeFileSync } = require('node:fs')
PGlite.create().then(async (db) => {
  const dump = await db.dumpDataDir('none')
  writeFileSync(process.argv[1], Buffer.from(await dump.arrayBuffer()))
  await db.close()
})`
  execFileSync(process.execPath, ['-e', script, temporary], { stdio: 'inherit' })
  renameSync(temporary, file)
  return file
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null
    chromiumPath: string | null
    /** An empty PGlite database (a tar file) for each test file's in-memory PGlite to start from. */
    pgliteTemplate: string
  }
}
