import { serve } from '@hono/node-server'
import { ConfigError, loadConfig, readEnvironment, resolveSecret } from './config'
import { ContentError } from './content/catalog'
import { formatProblem } from './content/types'
import { DatabaseUnavailableError } from './db/db'
import { DataDirBusyError } from './db/open'
import { createLogger } from './lib/logger'
import { openRuntime } from './runtime'

/**
 * The embedded database stopped for good (a full disk under DATA_DIR, an I/O error): it refuses every
 * call from now on, so this process can only answer errors. Say so in one line and exit non-zero, so
 * that a supervisor restarts it once space is free; what was committed is in PGlite's WAL and is
 * replayed at the next start.
 */
function stopOnStorageFailure(dataDir: string, error: Error): never {
  process.stderr.write(
    `The embedded database in ${dataDir} stopped: ${error.message}. Nothing committed is lost; ` +
      `free space there (df -h ${dataDir}) and start again.\n`,
  )
  process.exit(1)
}

/** Host and path of a database URL, without the user name or password. */
function describeUrl(url: string): string {
  const parsed = new URL(url)
  return `${parsed.host}${parsed.pathname}`
}

/** Starts the HTTP server; resolves once it listens, rejects with the listen error (port in use). */
function listen(
  fetch: Parameters<typeof serve>[0]['fetch'],
  hostname: string,
  port: number,
): Promise<ReturnType<typeof serve>> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, () => {
      server.off('error', reject)
      resolve(server)
    })
    server.once('error', reject)
  })
}

/**
 * `npm start`: the web server and the scheduler in one process (`course web` and `course worker` run
 * one each). The composition root: configuration, database, content, mailer, then HTTP and cron.
 */
export async function startServer(roles: { web: boolean; worker: boolean }): Promise<number> {
  let config: ReturnType<typeof resolveSecret>
  try {
    config = resolveSecret(loadConfig(readEnvironment()))
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    return 2
  }
  const role = roles.web && roles.worker ? 'server' : roles.web ? 'web' : 'worker'
  const logger = createLogger({ env: config.env, level: config.logLevel, name: role })
  let runtime: Awaited<ReturnType<typeof openRuntime>>
  try {
    runtime = await openRuntime(config, {
      role,
      serve: true,
      logger,
      onStorageFailure: (error) => stopOnStorageFailure(config.dataDir, error),
    })
  } catch (error) {
    if (error instanceof ContentError) {
      for (const problem of error.problems) process.stderr.write(`${formatProblem(problem)}\n`)
      process.stderr.write('Fix the content (npm run build shows every problem) and start again.\n')
      return 1
    }
    if (error instanceof DataDirBusyError) {
      process.stderr.write(`${error.message}\n`)
      return 1
    }
    if (error instanceof DatabaseUnavailableError) {
      const where = config.databaseUrl ? `PostgreSQL at ${describeUrl(config.databaseUrl)}` : config.dataDir
      process.stderr.write(
        `Cannot open the database (${where}): ${(error.cause as Error)?.message ?? error.message}. Check DATABASE_URL and that the server is up.\n`,
      )
      return 1
    }
    throw error
  }
  const { services, content, database } = runtime
  logger.info(
    {
      database: database.description,
      transport: config.transport,
      courses: content.current.courses.map((c) => `${c.slug} (${c.lessons.length} lessons)`),
    },
    'starting',
  )

  let server: ReturnType<typeof serve> | null = null
  let refresh: NodeJS.Timeout | null = null
  if (roles.web) {
    try {
      server = await listen(services.web.fetch, config.host, config.port)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      process.stderr.write(
        code === 'EADDRINUSE'
          ? `Port ${config.port} on ${config.host} is already in use (another npm start?): stop that process or set PORT.\n`
          : `Cannot listen on ${config.host}:${config.port}: ${(error as Error).message}\n`,
      )
      await runtime.close()
      return 1
    }
    services.webhooks.start()
    // Web-only processes do not tick; keep their copy of the content fresh anyway.
    refresh = setInterval(() => void content.refresh().catch(() => {}), 5000)
    refresh.unref()
    logger.info(`web server listening on http://${config.host}:${config.port} (public URL ${config.baseUrl})`)
    if (services.webDeps.devInboxDir)
      logger.info(`mail goes to ${config.outboxDir}: read it at ${config.baseUrl}/dev/inbox`)
  }
  if (roles.worker) {
    services.scheduler.start()
    void services.scheduler.tickNow()
    services.events.start()
    logger.info({ cron: config.schedule.tickCron }, 'scheduler running')
  }

  return new Promise((resolve) => {
    let stopping = false
    const shutdown = async (signal: string) => {
      if (stopping) {
        logger.warn('second signal: exiting now')
        process.exit(1)
      }
      stopping = true
      logger.info({ signal }, 'shutting down: no new claims; finishing the batches in flight')
      try {
        if (refresh) clearInterval(refresh)
        await new Promise<void>((done) => {
          if (!server) return done()
          server.close(() => done())
          ;(server as { closeIdleConnections?: () => void }).closeIdleConnections?.()
        })
        await runtime.close()
        logger.info('stopped')
        resolve(0)
      } catch (error) {
        logger.error({ err: error }, 'shutdown did not complete cleanly')
        resolve(1)
      }
    }
    process.once('SIGTERM', () => void shutdown('SIGTERM'))
    process.once('SIGINT', () => void shutdown('SIGINT'))
  })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await startServer({ web: true, worker: true })
}
