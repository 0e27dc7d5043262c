import { spawn } from 'node:child_process'
import path from 'node:path'
import type { BenchContext } from './context'
import { median, type Row, repeat } from './report'
import { REPO_ROOT } from './setup'

interface ChildResult {
  coldMs: number
  importMs: number
  warmMs: number[]
  emails: number
}

/** One fresh Node process (as `npm run build` starts), timed from spawn to exit as well. */
function freshProcess(warmRuns: number): Promise<ChildResult & { processMs: number }> {
  const start = performance.now()
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'build-child.ts'), String(warmRuns)],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  child.stderr.on('data', (chunk) => {
    err += chunk
  })
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      try {
        const result = JSON.parse(out.trim().split('\n').at(-1) ?? '') as ChildResult
        resolve({ ...result, processMs: performance.now() - start })
      } catch {
        reject(new Error(`build-child exited ${code}: ${err.slice(-1000)}`))
      }
    })
  })
}

/**
 * Compiling all content (every lesson, newsletter issue and the confirmation email): cold, in a fresh
 * process including the first import of React Email and the templates; warm, again in the same
 * process. tsx keeps its transpile cache between processes (as it does between real runs), so
 * "cold" is a new process, not a new machine.
 */
export async function benchBuild(ctx: BenchContext): Promise<Row[]> {
  const group = '6. Build: compile all content (loadContent)'
  const warmRuns = ctx.quick ? 3 : 5
  ctx.log(`build: ${ctx.runs} fresh processes`)
  const results = await repeat(ctx.runs, () => freshProcess(warmRuns))
  const cold = median(results.map((r) => r.coldMs))
  const warm = median(results.flatMap((r) => r.warmMs))
  const emails = results[0]?.emails ?? 0
  return [
    {
      group,
      figure: `cold: first import + compile (${emails} emails)`,
      value: cold,
      unit: 'ms',
      runs: ctx.runs,
      note: `of which importing the code: ${median(results.map((r) => r.importMs)).toFixed(0)} ms; whole process from spawn to exit: ${median(results.map((r) => r.processMs)).toFixed(0)} ms`,
    },
    {
      group,
      figure: 'warm: compile again in the same process',
      value: warm,
      unit: 'ms',
      baseline: { label: 'cold', value: cold, unit: 'ms' },
      ratio: cold / warm,
      runs: ctx.runs * warmRuns,
      note: 'ratio = how many times faster than cold',
    },
  ]
}
