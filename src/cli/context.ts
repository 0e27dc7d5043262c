import { type Config, loadConfig, resolveSecret } from '../config'
import type { ContentError } from '../content/catalog'
import type { Clock } from '../lib/clock'
import { createLogger, type Logger } from '../lib/logger'
import { openCoreRuntime, type Runtime } from '../runtime'
import type { CoreServices } from '../services'
import { type CliIo, writeLine } from './io'

/** What every command gets: its streams, and lazy access to configuration and the running parts. */
export interface CliContext {
  io: CliIo
  config(): Config & { secret: string }
  logger(level?: string): Logger
  /**
   * Opens the database, content and services (closing them is the caller's job). `sends: false`:
   * the command sends nothing, so broken content only earns a warning (with the valid part in use).
   */
  open(options?: { clock?: Clock; logLevel?: string; sends?: boolean }): Promise<Runtime<CoreServices>>
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
      const warn = (error: ContentError) =>
        writeLine(
          io.err,
          `warning: the content has ${error.problems.length} problem(s) (npm run build lists them); ` +
            `course ${command} sends nothing, so it goes on with the lessons and issues that are valid.`,
        )
      return openCoreRuntime(context.config(), {
        role: `cli:${command}`,
        serve: false,
        logger: context.logger(options.logLevel),
        clock: options.clock,
        onBrokenContent: options.sends === false ? warn : undefined,
      })
    },
  }
  return context
}

/** Runs `work` on an opened runtime that sends nothing, and closes it whatever happens. */
export async function withRuntime<T>(
  ctx: CliContext,
  work: (runtime: Runtime<CoreServices>) => Promise<T>,
): Promise<T> {
  const runtime = await ctx.open({ logLevel: 'warn', sends: false })
  try {
    return await work(runtime)
  } finally {
    await runtime.close()
  }
}
