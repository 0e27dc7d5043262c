/**
 * A probe loaded into the real command, `node --import <this, compiled> bin/course.js newsletter send
 * <slug> --yes`, so that the memory benchmark measures what users run (the compiled CLI, no TypeScript
 * loader) and can still say what its memory was made of. It only watches: it samples
 * `process.memoryUsage()` every 20 ms, splits the run into phases by the CLI's own progress lines on
 * stderr (opening until the first `queueing` line, queueing until its last, sending until exit), and at
 * exit writes one JSON object (`ProbeResult`) to the file MEMORY_PROBE_OUT.
 *
 * memory.ts compiles it with esbuild (Node 20 runs no TypeScript): keep it to Node's own modules.
 */
import { readFileSync, writeFileSync } from 'node:fs'

export type Phase = 'opening' | 'queueing' | 'sending'

/** A phase's sample with the highest resident set, and what it was made of (bytes). */
export interface PhaseSample {
  /** When the phase began, in ms since the probe loaded. */
  startMs: number
  rss: number
  /** V8's heap as allocated from the system, and the part of it in use. */
  heapTotal: number
  heapUsed: number
  /** Memory outside V8's heap held by JavaScript objects (Buffers, ArrayBuffers), `arrayBuffers` included. */
  external: number
  arrayBuffers: number
  /** Resident pages of mapped files: the node binary's code and data, shared libraries (0 without /proc). */
  mappedFiles: number
}

/** What the probe writes. */
export interface ProbeResult {
  phases: Partial<Record<Phase, PhaseSample>>
  /** The kernel's high-water mark of the resident set (VmHWM), which misses no moment; 0 without /proc. */
  vmHwm: number
  /** Milliseconds from the probe's load to exit. */
  totalMs: number
}

function readProc(file: string, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'))
    return match ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

/** Resident, less anonymous memory: what mapped files hold (read only at a new peak, it walks every mapping). */
function mappedFiles(): number {
  const rss = readProc('/proc/self/smaps_rollup', 'Rss')
  return rss === 0 ? 0 : rss - readProc('/proc/self/smaps_rollup', 'Anonymous')
}

const loaded = performance.now()
const phases: Partial<Record<Phase, PhaseSample>> = {}
let phase: Phase = 'opening'
let phaseStart = 0

function sample(): void {
  const usage = process.memoryUsage()
  const current = phases[phase]
  if (current && current.rss >= usage.rss) return
  phases[phase] = {
    startMs: phaseStart,
    rss: usage.rss,
    heapTotal: usage.heapTotal,
    heapUsed: usage.heapUsed,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    mappedFiles: mappedFiles(),
  }
}

function enter(next: Phase): void {
  if (phase === next || phases[next]) return
  sample()
  phase = next
  phaseStart = performance.now() - loaded
  sample()
}

sample()
// unref: the sampler must not keep the command alive once its work is done.
setInterval(sample, 20).unref()

// The progress bars (src/cli/progress.ts) write `queueing: …` lines on stderr (not a terminal here),
// the first after the first page is queued, the last ending `in <duration>` when all are.
const write = process.stderr.write.bind(process.stderr)
process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
  const line = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
  if (line.startsWith('queueing')) enter(/ in \S+\s*$/.test(line) ? 'sending' : 'queueing')
  else if (line.startsWith('sending')) enter('sending')
  return write(chunk, ...rest)
}) as typeof process.stderr.write

process.on('exit', () => {
  sample()
  const out = process.env.MEMORY_PROBE_OUT
  const result: ProbeResult = {
    phases,
    vmHwm: readProc('/proc/self/status', 'VmHWM'),
    totalMs: performance.now() - loaded,
  }
  if (out) writeFileSync(out, JSON.stringify(result))
})
