import type { Writable } from 'node:stream'

export interface Progress {
  update(done: number, total?: number): void
  finish(): void
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  if (seconds < 60) return `${Math.ceil(seconds)}s`
  if (seconds < 3600)
    return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`
}

/**
 * A progress bar with count, rate and ETA on a terminal; a plain line every few seconds otherwise
 * (logs, CI), so long sends and imports never look stuck.
 */
export function createProgress(options: {
  label: string
  stream: Writable & { isTTY?: boolean }
  total?: number
  now?: () => number
}): Progress {
  const now = options.now ?? Date.now
  const started = now()
  let total = options.total ?? 0
  let lastLine = 0
  let done = 0
  const tty = Boolean(options.stream.isTTY)
  const render = (final: boolean) => {
    const elapsed = Math.max(0.001, (now() - started) / 1000)
    const rate = done / elapsed
    const eta = total > done && rate > 0 ? (total - done) / rate : 0
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0
    const counts = total > 0 ? `${done}/${total} ${String(pct).padStart(3)}%` : `${done}`
    const tail = `${rate.toFixed(rate < 10 ? 1 : 0)}/s ${final ? `in ${duration(elapsed)}` : `ETA ${duration(eta)}`}`
    if (tty) {
      const width = 24
      const filled = total > 0 ? Math.round((width * Math.min(done, total)) / total) : 0
      options.stream.write(
        `\r${options.label} [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${counts} ${tail}\x1b[K${final ? '\n' : ''}`,
      )
    } else {
      options.stream.write(`${options.label}: ${counts} ${tail}\n`)
    }
  }
  return {
    update(value, newTotal) {
      done = value
      if (newTotal !== undefined) total = newTotal
      const t = now()
      if (tty ? t - lastLine >= 100 : t - lastLine >= 5000) {
        lastLine = t
        render(false)
      }
    },
    finish() {
      render(true)
    },
  }
}
