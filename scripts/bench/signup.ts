import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { type BenchContext, PG_UNREACHABLE } from './context'
import { median, notMeasured, type Row, repeat } from './report'
import { buildServices, createInstantMailer, setThrottleRate, stopServices } from './services'
import { benchConfig, type Engine, openBenchDb } from './setup'

const CONNECTIONS = 10
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js')

/** The parts of autocannon's JSON result we report. */
interface CannonResult {
  requests: { average: number }
  latency: { p50: number; p99: number }
  non2xx: number
  errors: number
  timeouts: number
}

/**
 * Runs autocannon's own CLI in a child process: a load generator on the server's event loop would
 * take its CPU and its turns, and measure itself. `[<id>]` becomes a unique id per request, so every
 * request is a new signup.
 */
function cannon(url: string, seconds: number): Promise<CannonResult> {
  const args = [
    AUTOCANNON,
    ...['-c', String(CONNECTIONS), '-d', String(seconds), '-m', 'POST'],
    ...['-H', 'content-type=application/json', '-b', '{"email":"s[<id>]@example.org","name":"Bench Reader"}'],
    ...['--idReplacement', '--json', '--no-progress', url],
  ]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
    })
    child.stderr.on('data', (chunk) => {
      err += chunk
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? ''
      try {
        resolve(JSON.parse(line) as CannonResult)
      } catch {
        reject(new Error(`autocannon exited ${code} without a result: ${err.slice(-500)}`))
      }
    })
  })
}

interface RunResult {
  perSecond: number
  p50: number
  p99: number
  errors: number
  stored: number
  confirmationsSent: number
}

/** One run on a fresh schema: the web app on a real socket, signups for `seconds`. */
async function run(engine: Engine, seconds: number, sendAtOnce: boolean): Promise<RunResult> {
  const bench = await openBenchDb(engine, 'signup')
  try {
    // The limiter would answer 429 to one address sending thousands of signups: it is not what is measured.
    const config = benchConfig({ SUBSCRIBE_RATE_LIMIT: '100000', RESEND_RATE_LIMIT: '1000' })
    const mailer = createInstantMailer()
    const services = await buildServices({ config, db: bench.db, mailer })
    await setThrottleRate(bench.db, 1e9)
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const started = serve({ fetch: services.web.fetch, hostname: '127.0.0.1', port: 0 }, () =>
        resolve(started),
      )
    })
    const { port } = server.address() as AddressInfo
    try {
      // Stopped, the sender leaves each confirmation queued for the next tick (a web process whose
      // immediate sends are off): what remains is the signup path alone.
      if (!sendAtOnce) services.sender.stop()
      const result = await cannon(`http://127.0.0.1:${port}/subscribe`, seconds)
      const confirmationsSent = mailer.sent()
      const { rows } = await bench.db.query<{ n: number }>('select count(*)::int as n from subscribers')
      return {
        perSecond: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.non2xx + result.errors + result.timeouts,
        stored: rows[0]?.n ?? 0,
        confirmationsSent,
      }
    } finally {
      await new Promise((resolve) => server.close(resolve))
      await stopServices(services)
    }
  } finally {
    await bench.close()
  }
}

/** Immediate confirmation sends on (as `npm start` and `course web` run), or off (the signup path alone). */
const VARIANTS = [
  { label: 'confirmation sent at once', sendAtOnce: true, fullOnly: false },
  { label: 'baseline: sending deferred', sendAtOnce: false, fullOnly: true },
]

function rowsFor(group: string, label: string, aim: boolean, results: RunResult[]): Row[] {
  const runs = results.length
  const sum = (pick: (r: RunResult) => number) => results.reduce((total, r) => total + pick(r), 0)
  const count = (n: number) => n.toLocaleString('en-US')
  return [
    {
      group,
      figure: `signups (${label})`,
      value: median(results.map((r) => r.perSecond)),
      unit: 'req/s',
      ...(aim ? { aim: 'thousands/s' } : {}),
      runs,
      note: `${count(sum((r) => r.stored))} people stored, ${count(sum((r) => r.confirmationsSent))} confirmations sent during the runs (the rest stay queued for the next tick)`,
    },
    { group, figure: `  latency p50`, value: median(results.map((r) => r.p50)), unit: 'ms', runs },
    {
      group,
      figure: `  latency p99`,
      value: median(results.map((r) => r.p99)),
      unit: 'ms',
      ...(aim ? { aim: '< 50 ms' } : {}),
      runs,
    },
    {
      group,
      figure: '  errors (non-2xx + errors + timeouts)',
      value: sum((r) => r.errors),
      unit: '',
      aim: '0',
      runs,
    },
  ]
}

/**
 * Signups per second through `POST /subscribe` on loopback (JSON body, a new address each time), as
 * a web process runs it: each signup stores the person and queues a confirmation, which the
 * process's sender sends at once (to a mailer that answers instantly, throttle unlimited), so sending
 * competes with signups for the database. The full run also measures the signup path alone.
 */
export async function benchSignup(ctx: BenchContext): Promise<Row[]> {
  const seconds = ctx.quick ? 5 : 30
  // 30 s runs are long already: 3 in the full suite, 1 in the quick one.
  const runs = ctx.quick ? 1 : Math.min(3, ctx.runs)
  const rows: Row[] = []
  for (const engine of ['pglite', 'postgres'] as const) {
    const name = engine === 'pglite' ? 'PGlite' : 'PostgreSQL'
    const group = `4. Signup, POST /subscribe, ${CONNECTIONS} connections, ${seconds} s (${name})`
    if (engine === 'postgres' && ctx.postgresProblem) {
      rows.push(notMeasured(group, 'signups', PG_UNREACHABLE))
      ctx.log(`!!! signup on PostgreSQL NOT MEASURED: ${ctx.postgresProblem}`)
      continue
    }
    for (const variant of VARIANTS) {
      if (variant.fullOnly && ctx.quick) continue
      ctx.log(`signup: ${name}, ${variant.label}, ${runs} x ${seconds} s`)
      const results = await repeat(runs, () => run(engine, seconds, variant.sendAtOnce))
      rows.push(...rowsFor(group, variant.label, engine === 'postgres' && variant.sendAtOnce, results))
    }
  }
  return rows
}
