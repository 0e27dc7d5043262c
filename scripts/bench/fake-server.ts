/**
 * The fake Resend API in a process of its own, driven over IPC by the benchmarks. A real provider does
 * not parse and validate our requests on our event loop: in-process, its work (JSON and schema checks
 * of 100 emails per request) would add to the very timings being measured.
 *
 * Started by {@link startFakeProcess}; not meant to be run by hand.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startFakeResend } from '../../tests/helpers/fake-resend'
import { tallySent } from './provider'

export interface FakeProcessOptions {
  rateLimitPerSecond: number | null
  /** Share of requests answered 500 (seeded, so a run's faults are reproducible). */
  faultRate: number
  seed: number
}

export interface FakeReport {
  /** Emails accepted per address (lower-cased). */
  counts: [string, number][]
  requests: number
  count429: number
  count5xx: number
}

/** A small seeded generator. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function serve(options: FakeProcessOptions): Promise<void> {
  const fake = await startFakeResend({
    rateLimitPerSecond: options.rateLimitPerSecond,
    random: mulberry32(options.seed),
  })
  if (options.faultRate > 0)
    fake.setRandomFault({ probability: options.faultRate, fault: { type: 'status', status: 500 } })
  const tally = tallySent(fake)
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'report') {
      const report: FakeReport = {
        counts: [...tally.stop().entries()],
        requests: fake.requests.length,
        count429: fake.count429(),
        count5xx: fake.requests.filter((r) => typeof r.status === 'number' && r.status >= 500).length,
      }
      process.send?.({ type: 'report', report })
    } else if (message.type === 'close') {
      tally.stop()
      await fake.close()
      process.disconnect()
    }
  })
  process.send?.({ type: 'ready', url: fake.url })
}

export interface FakeProcess {
  url: string
  pid: number
  /** What the fake accepted and answered so far; stops its tally (call once, at the end). */
  report(): Promise<FakeReport>
  close(): Promise<void>
}

function next<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string } & T) => {
      if (message.type !== type) return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(message)
    }
    const onExit = (code: number | null) => reject(new Error(`fake Resend process exited (${code})`))
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

/** Starts the fake Resend in a child process and waits until it listens (on 127.0.0.1 only). */
export async function startFakeProcess(options: FakeProcessOptions): Promise<FakeProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const { url } = await next<{ url: string }>(child, 'ready')
  return {
    url,
    pid: child.pid ?? 0,
    async report() {
      const reply = next<{ report: FakeReport }>(child, 'report')
      child.send({ type: 'report' })
      return (await reply).report
    },
    async close() {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.send({ type: 'close' })
      await exited
    },
  }
}

if (process.argv[2] === '--serve') await serve(JSON.parse(process.argv[3] ?? '{}') as FakeProcessOptions)
