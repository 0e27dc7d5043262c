import type { Hono } from 'hono'
import type { Config } from './config'
import type { ContentStore } from './content/catalog'
import type { Db } from './db/db'
import { Scheduler } from './drip/scheduler'
import { Sender } from './drip/sender'
import { initThrottle } from './drip/throttle'
import type { Clock } from './lib/clock'
import type { Logger } from './lib/logger'
import type { Mailer } from './mail/mailer'
import type { SubscriberDeps } from './subscribers/deps'
import { createWebApp } from './web/app'
import type { WebDeps } from './web/deps'
import { adminRoutes } from './web/routes/admin'
import { archiveRoutes } from './web/routes/archive'
import { webhookRoutes } from './web/routes/webhooks'
import { createWebhookProcessor, type WebhookProcessor } from './webhooks/processor'

/** Everything the processes run, wired from ports that the caller built (real ones, or fakes in tests). */
export interface Services {
  mailer: Mailer
  subscribers: SubscriberDeps
  sender: Sender
  scheduler: Scheduler
  web: Hono
  webDeps: WebDeps
  webhooks: WebhookProcessor
}

export interface ServiceInputs {
  config: Config & { secret: string }
  db: Db
  mailer: Mailer
  /** Scheduling time (movable in tests and by `run-due --at`). */
  clock: Clock
  /** Real time for leases, throttling and backoff; defaults to `clock`. */
  realClock?: Clock
  logger: Logger
  content: ContentStore
}

/** Wires the services. Does no I/O beyond initialising the shared throttle row. */
export async function createServices(input: ServiceInputs): Promise<Services> {
  const { config, db, mailer, clock, logger, content } = input
  const realClock = input.realClock ?? clock
  await initThrottle(db, config.resend.rateLimit, realClock.now())
  const schedule = { sendHour: config.schedule.sendHour, sendDays: config.schedule.sendDays }
  const sender = new Sender({
    db,
    mailer,
    clock,
    realClock,
    logger,
    content: () => content.refresh(),
    settings: {
      workerId: config.workerId,
      leaseMs: config.schedule.leaseMs,
      maxAttempts: config.schedule.maxAttempts,
      batchSize: config.schedule.batchSize,
      compose: {
        baseUrl: config.baseUrl,
        from: config.mail.from,
        replyTo: config.mail.replyTo,
        secret: config.secret,
      },
      decide: { schedule, newsletterSkipCourseDay: config.schedule.newsletterSkipCourseDay },
    },
  })
  const subscribers: SubscriberDeps = {
    db,
    clock,
    logger,
    secret: config.secret,
    schedule,
    lessons: () => content.current.lessons,
    sendSoon: (ids) => sender.sendSoon(ids),
  }
  const scheduler = new Scheduler({
    db,
    sender,
    clock,
    logger,
    tickCron: config.schedule.tickCron,
    tickBudgetMs: config.schedule.tickBudgetMs,
  })
  const devInboxDir = mailer.transport === 'outbox' && config.env !== 'production' ? config.outboxDir : null
  const webDeps: WebDeps = {
    config,
    db,
    clock,
    logger,
    content: () => content.current,
    subscribers,
    devInboxDir,
  }
  const webhooks = createWebhookProcessor({ db, clock, logger })
  const web = createWebApp(webDeps, [archiveRoutes, webhookRoutes(webhooks), adminRoutes])
  return { mailer, subscribers, sender, scheduler, web, webDeps, webhooks }
}
