import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { serve } from '@hono/node-server'
import type { Db } from '../../src/db/db'
import { migrate } from '../../src/db/migrate'
import { openPglite } from '../../src/db/pglite-adapter'
import type { Mailer } from '../../src/mail/mailer'
import { createMailer } from '../../src/runtime'
import { type BenchContext, PG_UNREACHABLE } from './context'
import { median, notMeasured, type Row, repeat } from './report'
import { buildServices, createInstantMailer, setThrottleRate, stopServices } from './services'
import { benchConfig, type Engine, openBenchDb, TMP_DIR } from './setup'

const CONNECTIONS = 10
/** The shipped course: with several courses a signup must name one. */
const COURSE = 'avoiding-smp-regrets'
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js')
/** The issue's bound: a confirmation reaches the outbox within this long of its signup. */
const ON_TIME_MS = 2000
/** After the load, how long the sender may finish what it was asked before the rest counts as late. */
const DRAIN_MS = 10_000
/**
 * Signups sent before each measured run, at the same rate, and left out of its figures: as the engine
 * group's untimed emails, the first seconds pay for compiling (JIT, the engine's first plans) and say
 * nothing about a server that has been running. The sender finishes them before the run starts.
 */
const WARM_UP_SECONDS = 3

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
function cannon(url: string, seconds: number, rate: number | null): Promise<CannonResult> {
  const args = [
    AUTOCANNON,
    ...['-c', String(CONNECTIONS), '-d', String(seconds), '-m', 'POST'],
    // An offered rate: requests/s over all connections (autocannon's overall rate); else as fast as answered.
    ...(rate === null ? [] : ['-R', String(rate)]),
    ...[
      '-H',
      'content-type=application/json',
      '-b',
      `{"email":"s[<id>]@example.org","name":"Bench Reader","course":"${COURSE}"}`,
    ],
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

/**
 * The mailer, noting when the transport accepted each email (by delivery id, the email's `ref`): for
 * the outbox, its file is in `new/` by then. The first acceptance counts; a retry changes nothing.
 */
function timeHandOver(mailer: Mailer): { mailer: Mailer; acceptedAt: Map<string, number> } {
  const acceptedAt = new Map<string, number>()
  const note = (ref: string | undefined, at: number) => {
    if (ref !== undefined && !acceptedAt.has(ref)) acceptedAt.set(ref, at)
  }
  return {
    acceptedAt,
    mailer: {
      transport: mailer.transport,
      async send(email, options) {
        const result = await mailer.send(email, options)
        if (result.ok) note(email.ref, Date.now())
        return result
      },
      async sendBatch(emails, options) {
        const result = await mailer.sendBatch(emails, options)
        const at = Date.now()
        if (result.ok) for (const [i, email] of emails.entries()) if (result.items[i]?.ok) note(email.ref, at)
        return result
      },
    },
  }
}

/** How long confirmations took from signup to the transport, in ms. */
interface Delays {
  confirmations: number
  /** Accepted by the end of the drain. */
  sent: number
  onTime: number
  p99: number
  max: number
}

/**
 * Each confirmation's delay from its signup (`subscribers.created_at`: the server's time when the
 * request began, so a little before its 2xx; the delay is if anything overstated) to its acceptance.
 * One not accepted by `checkedAt` is late, counted at `checkedAt - signup` (a lower bound).
 */
async function confirmationDelays(
  db: Db,
  acceptedAt: Map<string, number>,
  checkedAt: number,
  since: Date,
): Promise<Delays> {
  const { rows } = await db.query<{ id: number; created_at: Date }>(
    `select d.id, s.created_at from deliveries d join subscribers s on s.id = d.subscriber_id
     where d.kind = 'confirmation' and s.created_at >= $1`,
    [since],
  )
  let sent = 0
  let onTime = 0
  const delays = rows
    .map((row) => {
      const at = acceptedAt.get(String(row.id))
      const ms = (at ?? checkedAt) - row.created_at.getTime()
      if (at !== undefined) sent++
      if (at !== undefined && ms <= ON_TIME_MS) onTime++
      return ms
    })
    .sort((a, b) => a - b)
  const at = (share: number) => delays[Math.min(delays.length - 1, Math.ceil(share * delays.length) - 1)] ?? 0
  return { confirmations: rows.length, sent, onTime, p99: at(0.99), max: delays.at(-1) ?? 0 }
}

interface RunResult {
  perSecond: number
  p50: number
  p99: number
  errors: number
  stored: number
  delays: Delays | null
}

/**
 * The embedded default as `npm start` opens it (src/db/open.ts): PGlite in a data folder of its own,
 * with the adapter's start parameters, migrated.
 */
async function openEmbedded(): Promise<{ db: Db; dir: string; close(): Promise<void> }> {
  const dir = path.join(TMP_DIR, `signup-${randomBytes(4).toString('hex')}`)
  mkdirSync(dir, { recursive: true })
  const db = await openPglite({ dataDir: path.join(dir, 'pgdata') })
  await migrate(db)
  return {
    db,
    dir,
    async close() {
      await db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref())

/**
 * One run on a fresh database: the web app on a real socket, signups for `seconds`. On PGlite as a
 * user runs it (the outbox, the default settings); on PostgreSQL with a mailer that answers at once,
 * the throttle unlimited.
 */
async function run(
  engine: Engine,
  seconds: number,
  sendAtOnce: boolean,
  rate: number | null = null,
): Promise<RunResult> {
  const embedded = engine === 'pglite' ? await openEmbedded() : null
  const bench = embedded ? null : await openBenchDb(engine, 'signup')
  const db = (embedded?.db ?? bench?.db) as Db
  try {
    // The limiter would answer 429 to one address sending thousands of signups: it is not what is measured.
    const config = benchConfig({
      SUBSCRIBE_RATE_LIMIT: '100000',
      ...(embedded ? { OUTBOX_DIR: path.join(embedded.dir, 'outbox') } : { RESEND_RATE_LIMIT: '1000' }),
    })
    const { mailer, acceptedAt } = timeHandOver(embedded ? createMailer(config) : createInstantMailer())
    const services = await buildServices({ config, db, mailer })
    if (!embedded) await setThrottleRate(db, 1e9)
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
      const url = `http://127.0.0.1:${port}/subscribe`
      await cannon(url, WARM_UP_SECONDS, rate)
      await Promise.race([services.sender.whenIdle(), sleep(DRAIN_MS)])
      const since = new Date()
      const result = await cannon(url, seconds, rate)
      let delays: Delays | null = null
      if (sendAtOnce) {
        await Promise.race([services.sender.whenIdle(), sleep(DRAIN_MS)])
        delays = await confirmationDelays(db, acceptedAt, Date.now(), since)
      }
      const { rows } = await db.query<{ n: number }>(
        'select count(*)::int as n from subscribers where created_at >= $1',
        [since],
      )
      return {
        perSecond: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.non2xx + result.errors + result.timeouts,
        stored: rows[0]?.n ?? 0,
        delays,
      }
    } finally {
      await new Promise((resolve) => server.close(resolve))
      await stopServices(services)
    }
  } finally {
    await (embedded ?? bench)?.close()
  }
}

const count = (n: number) => n.toLocaleString('en-US')

/** The offered rate at which the issue's aims for latency and confirmations are checked. */
const OFFERED_RATE = 800

/**
 * Which aims a variant's rows carry: `rate` (as fast as answered: how many per second), `latency` (at
 * the offered rate: p99 and confirmations on time), or none (the baseline).
 */
type Aims = 'rate' | 'latency' | 'none'

/** The rows of one variant; `deferred` (the signup path alone) is the baseline of the sending run. */
function rowsFor(
  group: string,
  engine: Engine,
  label: string,
  results: RunResult[],
  options: { deferred?: RunResult[] | null; aims: Aims },
): Row[] {
  const runs = results.length
  const sum = (pick: (r: RunResult) => number) => results.reduce((total, r) => total + pick(r), 0)
  const perSecond = median(results.map((r) => r.perSecond))
  const embedded = engine === 'pglite'
  const sending = results.every((r) => r.delays !== null)
  const baseline = options.deferred ? median(options.deferred.map((r) => r.perSecond)) : null
  const latencyAims = options.aims === 'latency'
  const rows: Row[] = [
    {
      group,
      figure: `signups (${label})`,
      value: perSecond,
      unit: 'req/s',
      ...(options.aims === 'rate' ? { aim: embedded ? '≥ 800 req/s' : 'thousands/s' } : {}),
      ...(latencyAims ? { aim: `${count(OFFERED_RATE)} req/s offered` } : {}),
      ...(baseline !== null
        ? {
            baseline: { label: 'sending deferred', value: baseline, unit: 'req/s' },
            ratio: baseline > 0 ? perSecond / baseline : null,
          }
        : {}),
      runs,
      note: `${count(sum((r) => r.stored))} people stored (after ${WARM_UP_SECONDS} s of untimed signups at the same rate, left out)`,
    },
    { group, figure: '  latency p50', value: median(results.map((r) => r.p50)), unit: 'ms', runs },
    {
      group,
      figure: '  latency p99',
      value: median(results.map((r) => r.p99)),
      unit: 'ms',
      ...(latencyAims ? { aim: embedded ? '≤ 50 ms' : '< 50 ms' } : {}),
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
  if (!sending) return rows
  const delays = results.map((r) => r.delays as Delays)
  const where = embedded ? 'in the outbox' : 'accepted by the mailer'
  const total = (pick: (d: Delays) => number) => delays.reduce((n, d) => n + pick(d), 0)
  const late = total((d) => d.confirmations - d.sent)
  rows.push(
    {
      group,
      figure: `  confirmations ${where} within 2 s of their signup`,
      value: median(delays.map((d) => (d.confirmations ? (100 * d.onTime) / d.confirmations : 0))),
      unit: '%',
      ...(latencyAims ? { aim: '100 %' } : {}),
      runs,
      note: `${count(total((d) => d.sent))} of ${count(total((d) => d.confirmations))} ${where} by ${DRAIN_MS / 1000} s after the load${late ? `; ${count(late)} not by then, counted late` : ''}`,
    },
    {
      group,
      figure: '  signup → confirmation sent, p99',
      value: median(delays.map((d) => d.p99)),
      unit: 'ms',
      ...(latencyAims ? { aim: '≤ 2,000 ms' } : {}),
      runs,
    },
    {
      group,
      figure: '  signup → confirmation sent, max',
      value: median(delays.map((d) => d.max)),
      unit: 'ms',
      runs,
    },
  )
  return rows
}

/**
 * What this disk allows the outbox: `count` files of a confirmation's size created as the outbox
 * creates them (written in a tmp/ folder, renamed into new/, four at a time), with nothing else
 * running; files per second and CPU per file (the kernel's part included). On the bench machine
 * creating a file costs 0.3 to 1.5 ms of kernel time, so the disk bounds how fast confirmations go out.
 */
async function diskFileRate(count: number): Promise<{ perSecond: number; cpuUs: number }> {
  const dir = path.join(TMP_DIR, `disk-${randomBytes(4).toString('hex')}`)
  for (const sub of ['tmp', 'new']) mkdirSync(path.join(dir, sub), { recursive: true })
  const data = Buffer.alloc(9000, 'a')
  try {
    let next = 0
    const cpu = process.cpuUsage()
    const start = performance.now()
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < count) {
          const name = `${next++}.eml`
          await writeFile(path.join(dir, 'tmp', name), data)
          await rename(path.join(dir, 'tmp', name), path.join(dir, 'new', name))
        }
      }),
    )
    const seconds = (performance.now() - start) / 1000
    const used = process.cpuUsage(cpu)
    return { perSecond: count / seconds, cpuUs: (used.user + used.system) / count }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Signups per second through `POST /subscribe` on loopback (JSON body, a new address each time), as
 * a web process runs it: each signup stores the person and queues a confirmation, which the
 * process's sender sends at once, competing with signups for the database. On PGlite it goes to the
 * outbox with the default settings (the embedded default as `npm start` runs it); on PostgreSQL to a
 * mailer that answers at once. With each confirmation, how long after its signup it was sent. Twice:
 * as fast as the server answers (how many per second), and at 800 requests/s offered (latency and
 * confirmations on time at that rate: a saturated server's queue says nothing about them). Each run
 * follows a few untimed seconds of the same load on the same server (JIT, first plans). The full
 * run also measures the signup path alone (sending deferred to the tick): the baseline.
 */
export async function benchSignup(ctx: BenchContext): Promise<Row[]> {
  const seconds = ctx.quick ? 5 : 30
  // 30 s runs are long already: 3 in the full suite, 1 in the quick one.
  const runs = ctx.quick ? 1 : Math.min(3, ctx.runs)
  const rows: Row[] = []
  for (const engine of ['pglite', 'postgres'] as const) {
    const name = engine === 'pglite' ? 'PGlite, outbox' : 'PostgreSQL, instant mailer'
    const group = `4. Signup, POST /subscribe, ${CONNECTIONS} connections, ${seconds} s (${name})`
    if (engine === 'postgres' && ctx.postgresProblem) {
      rows.push(notMeasured(group, 'signups', PG_UNREACHABLE))
      ctx.log(`!!! signup on PostgreSQL NOT MEASURED: ${ctx.postgresProblem}`)
      continue
    }
    ctx.log(`signup: ${name}, confirmation sent at once, as fast as answered, ${runs} x ${seconds} s`)
    const atOnce = await repeat(runs, () => run(engine, seconds, true))
    ctx.log(
      `signup: ${name}, confirmation sent at once, ${OFFERED_RATE} req/s offered, ${runs} x ${seconds} s`,
    )
    const offered = await repeat(runs, () => run(engine, seconds, true, OFFERED_RATE))
    let deferred: RunResult[] | null = null
    // The baseline only in the full run: --quick stays short.
    if (!ctx.quick) {
      ctx.log(`signup: ${name}, baseline: sending deferred, ${runs} x ${seconds} s`)
      deferred = await repeat(runs, () => run(engine, seconds, false))
    }
    rows.push(
      ...rowsFor(group, engine, 'confirmation sent at once, as fast as answered', atOnce, {
        deferred,
        aims: 'rate',
      }),
      ...rowsFor(group, engine, `confirmation sent at once, ${count(OFFERED_RATE)} req/s offered`, offered, {
        aims: 'latency',
      }),
    )
    if (deferred)
      rows.push(...rowsFor(group, engine, 'baseline: sending deferred', deferred, { aims: 'none' }))
    if (engine === 'pglite') {
      const disk = await repeat(runs, () => diskFileRate(ctx.quick ? 1000 : 5000))
      rows.push({
        group,
        figure: 'reference: this disk creating the outbox files alone (no server)',
        value: median(disk.map((d) => d.perSecond)),
        unit: 'files/s',
        runs,
        note: `write + rename, 4 at a time, 9 KB each; CPU per file ${Math.round(median(disk.map((d) => d.cpuUs)))} µs (the kernel's part included): one confirmation is one file`,
      })
    }
  }
  return rows
}
