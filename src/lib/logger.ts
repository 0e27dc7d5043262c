import { createRequire } from 'node:module'
import pino, { type DestinationStream, type Logger } from 'pino'

export type { Logger }

/**
 * JSON logs in production (one object per line, for log shippers); readable, coloured lines in
 * development. Tokens never reach the log (they are not logged, and fields named like secrets are
 * redacted); addresses appear only through {@link maskEmail}.
 */
export function createLogger(options: {
  env: string
  level: string
  name?: string
  destination?: DestinationStream
}): Logger {
  const base = { name: options.name ?? 'course', level: options.level }
  const redact = {
    paths: ['token', '*.token', 'secret', '*.secret', 'apiKey', '*.apiKey'],
    censor: '[redacted]',
  }
  if (options.env === 'production')
    return pino({ ...base, redact }, options.destination ?? pino.destination(1))
  // Loaded only here: production logs are JSON, and pino-pretty with its dependencies is about a
  // megabyte of memory a production process would carry for nothing.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty')
  const stream = pretty({
    colorize: !options.destination && process.stderr.isTTY,
    destination: options.destination ?? 2,
    sync: true,
  })
  return pino({ ...base, redact }, stream)
}

/** A logger that drops everything (tests, quiet CLI runs). */
export const silentLogger: Logger = pino({ level: 'silent' })

/** `jane.doe@example.com` → `ja…@example.com`: enough to recognise, not enough to harvest. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@')
  if (at < 0) return '…'
  return `${email.slice(0, Math.min(2, at))}…${email.slice(at)}`
}
