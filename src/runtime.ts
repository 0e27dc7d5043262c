import path from 'node:path'
import type { Config } from './config'
import { type ContentError, type ContentSource, ContentStore } from './content/catalog'
import { formatProblem } from './content/types'
import { type OpenedDatabase, openDatabase } from './db/open'
import { type Clock, systemClock } from './lib/clock'
import type { Logger } from './lib/logger'
import type { Mailer } from './mail/mailer'
import { createOutboxMailer } from './mail/outbox-mailer'
import { createResendMailer } from './mail/resend-mailer'
import {
  type CoreServices,
  createCoreServices,
  createServices,
  type ServiceInputs,
  type Services,
} from './services'

/** The real mailer for the configuration: Resend with an API key, else the Maildir outbox. */
export function createMailer(config: Config, clock: Clock = systemClock): Mailer {
  if (config.transport === 'resend') {
    return createResendMailer({ apiKey: config.resend.apiKey as string, baseUrl: config.resend.baseUrl })
  }
  return createOutboxMailer(config.outboxDir, clock)
}

/** Where the content is and what every email says about the sender, from the configuration. */
export function contentSource(config: Config): ContentSource {
  return {
    lessonsDir: config.lessonsDir,
    newslettersDir: config.newslettersDir,
    cacheDir: path.join(config.dataDir, 'cache'),
    site: {
      courseName: config.mail.courseName,
      baseUrl: config.baseUrl,
      postalAddress: config.mail.postalAddress,
    },
  }
}

/**
 * Opens the content, logging every problem of a later broken edit (the last good content stays in
 * use). With `onBroken`, content that is broken from the start is readable instead of an error (see
 * ContentStore.open) and `onBroken` hears about it.
 */
export async function openContent(
  config: Config,
  logger: Logger,
  onBroken?: (error: ContentError) => void,
): Promise<ContentStore> {
  let opened = false
  const store = await ContentStore.open(
    contentSource(config),
    (error: ContentError) => {
      if (!opened && onBroken) return onBroken(error)
      for (const problem of error.problems)
        logger.error(
          { problem: formatProblem(problem) },
          'content edit refused; still sending the previous version',
        )
    },
    { readable: onBroken !== undefined },
  )
  opened = true
  return store
}

export interface Runtime<S extends CoreServices = Services> {
  database: OpenedDatabase
  content: ContentStore
  services: S
  close(): Promise<void>
}

/**
 * Builds the real dependencies (database, content, mailer) and the services on top. The one place,
 * with main.ts, where real ports are made.
 */
export function openRuntime(config: Config & { secret: string }, options: RuntimeOptions): Promise<Runtime> {
  return open(config, options, createServices)
}

/** As {@link openRuntime}, without the web app: what commands use (they never load its modules). */
export function openCoreRuntime(
  config: Config & { secret: string },
  options: RuntimeOptions,
): Promise<Runtime<CoreServices>> {
  return open(config, options, createCoreServices)
}

export interface RuntimeOptions {
  role: string
  serve: boolean
  logger: Logger
  clock?: Clock
  onStorageFailure?: (error: Error) => void
  /** For commands that send nothing: broken content is reported here and its valid part used. */
  onBrokenContent?: (error: ContentError) => void
}

async function open<S extends CoreServices>(
  config: Config & { secret: string },
  options: RuntimeOptions,
  create: (inputs: ServiceInputs) => Promise<S>,
): Promise<Runtime<S>> {
  const { logger } = options
  const content = await openContent(config, logger, options.onBrokenContent)
  const database = await openDatabase(config, {
    role: options.role,
    serve: options.serve,
    logger,
    onStorageFailure: options.onStorageFailure,
  })
  try {
    const clock = options.clock ?? systemClock
    const services = await create({
      config,
      db: database.db,
      mailer: createMailer(config),
      clock,
      realClock: systemClock,
      logger,
      content,
    })
    return {
      database,
      content,
      services,
      async close() {
        await services.scheduler.stop()
        await services.events.stop()
        await services.webhooks.stop()
        await database.close()
      },
    }
  } catch (error) {
    await database.close()
    throw error
  }
}
