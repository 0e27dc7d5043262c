/**
 * The steps of `course newsletter send <slug> --yes` (src/cli/newsletter.ts), in a process of its own
 * so that its resident set size is only this: open the database as the CLI does, queue the issue for
 * every reader (chunked by id), send it in batches through the real SDK. Unlike the CLI it can say
 * what its peak was made of (V8 heap, buffers) and what it weighed before any work. Cross-checked
 * once against the real CLI, its VmHWM polled from outside: 323 MB for both 10,000 and 100,000
 * readers, as here. Prints one JSON line.
 *
 * Started by memory.ts with argv: <slug> and environment from benchEnv (DATABASE_URL or DATA_DIR).
 */
import { readFileSync } from 'node:fs'
import { loadConfig, resolveSecret } from '../../src/config'
import { openDatabase } from '../../src/db/open'
import { systemClock } from '../../src/lib/clock'
import { silentLogger } from '../../src/lib/logger'
import { finishIssues, scheduleIssue, startIssue } from '../../src/newsletters/sends'
import { createMailer, openContent } from '../../src/runtime'
import { createServices } from '../../src/services'

function vmHwm(): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return match ? Number(match[1]) * 1024 : 0
}

async function main(slug: string): Promise<void> {
  let peak = process.memoryUsage()
  // The kernel's VmHWM catches every moment; sampling tells what the peak was made of (V8 heap or
  // buffers), and is a cross-check where /proc is missing.
  const sampler = setInterval(() => {
    const now = process.memoryUsage()
    if (now.rss > peak.rss) peak = now
  }, 20)
  const config = resolveSecret(loadConfig({ ...process.env }, process.cwd()))
  const content = await openContent(config, silentLogger)
  // As the CLI opens it: PostgreSQL with DATABASE_URL (PGlite never loaded), else PGlite in DATA_DIR.
  const database = await openDatabase(config, { role: 'bench-memory', serve: false, logger: silentLogger })
  const { db } = database
  const services = await createServices({
    config,
    db,
    mailer: createMailer(config),
    clock: systemClock,
    logger: silentLogger,
    content,
  })
  const before = process.memoryUsage().rss
  const start = performance.now()
  const now = systemClock.now()
  await scheduleIssue(db, slug, now, now)
  const { queued } = await startIssue(db, slug, now)
  const report = await services.sender.run({
    filter: { kind: 'newsletter', item: slug },
    budgetMs: 60 * 60_000,
  })
  await finishIssues(db, systemClock.now())
  const seconds = (performance.now() - start) / 1000
  clearInterval(sampler)
  services.sender.stop()
  await services.webhooks.stop()
  await database.close()
  const result = {
    queued,
    sent: report.sent,
    seconds,
    before,
    sampledPeak: peak.rss,
    peakHeapTotal: peak.heapTotal,
    peakExternal: peak.external,
    vmHwm: vmHwm(),
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

await main(process.argv[2] ?? '')
