import { type Config, loadConfig, resolveSecret } from '../config'
import type { Clock } from '../lib/clock'
import { createLogger, type Logger } from '../lib/logger'
import { openRuntime, type Runtime } from '../runtime'
import type { CliIo } from './io'

/** What every command gets: its streams, and lazy access to configuration and the running parts. */
export interface CliContext {
  io: CliIo
  config(): Config & { secret: string }
  logger(level?: string): Logger
  /** Opens the database, content and services (closing them is the caller's job). */
  open(options?: { clock?: Clock; logLevel?: string }): Promise<Runtime>
}

export function createCliContext(io: CliIo, command: string): CliContext {
  let config: (Config & { secret: string }) | null = null
  const context: CliContext = {
    io,
    config() {
      config ??= resolveSecret(loadConfig(io.env, io.cwd))
      return config
    },
    logger(level) {
      const c = context.config()
      return createLogger({ env: c.env, level: level ?? c.logLevel, name: `course ${command}` })
    },
    open(options = {}) {
      return openRuntime(context.config(), {
        role: `cli:${command}`,
        serve: false,
        logger: context.logger(options.logLevel),
        clock: options.clock,
      })
    },
  }
  return context
}
