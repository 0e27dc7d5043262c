import type { Hono } from 'hono'
import { pruneIdempotent } from './access/keys'
import type { Config } from './config'
import type { ContentStore } from './content/catalog'
import type { CourseSettings, Courses } from './course/lessons'
import { lessonPolicy } from './course/policy'
import { replanWhenLessonsChange } from './course/replan'
import type { Db } from './db/db'
import { runTick, Scheduler, type TickTasks } from './delivery/scheduler'
import { Sender, type SendReport } from './delivery/sender'
import { initThrottle } from './delivery/throttle'
import { EventDispatcher } from './events/dispatch'
import { pruneEvents } from './events/store'
import type { Clock } from './lib/clock'
import type { Logger } from './lib/logger'
import type { Mailer } from './mail/mailer'
import { newsletterPolicy } from './newsletters/policy'
import { finishIssues, startDueIssues } from './newsletters/sends'
import { confirmationPolicy, invitationPolicy } from './subscribers/asks'
import type { SubscriberDeps } from './subscribers/deps'
import type { WebDeps } from './web/deps'
import { WebhookProcessor } from './webhooks/processor'

const DAY_MS = 86_400_000
/** The throttle's rate when mail goes to the local outbox (the highest RESEND_RATE_LIMIT allows). */
const OUTBOX_CALLS_PER_SECOND = 1000
const EVENT_RETENTION_MS = 30 * DAY_MS
const IDEMPOTENCY_RETENTION_MS = DAY_MS

/** Everything the processes run, wired from ports that the caller built (real ones, or fakes in tests). */
export interface Services extends CoreServices {
  /** The web app (pages, signup, admin, API, provider webhooks). */
  web: Hono
}

/** What commands need: everything but the web app (whose modules a command then never loads). */
export interface CoreServices {
  mailer: Mailer
  subscribers: SubscriberDeps
  sender: Sender
  scheduler: Scheduler
  /** One tick as the scheduler runs it (`course run-due` and tests call it). */
  tick(options?: { onBatch?: (report: SendReport) => void }): Promise<SendReport>
  webDeps: WebDeps
  webhooks: WebhookProcessor
  /** Delivers outgoing webhook events from their outbox table (started by workers). */
  events: EventDispatcher
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

/** The services and the web app (its modules are loaded here, not by commands that need none of it). */
export async function createServices(input: ServiceInputs): Promise<Services> {
  const core = await createCoreServices(input)
  const [{ createWebApp }, { archiveRoutes }, { webhookRoutes }, { adminRoutesWith }, { apiRoutes }] =
    await Promise.all([
      import('./web/app'),
      import('./web/routes/archive'),
      import('./web/routes/webhooks'),
      import('./web/admin/routes'),
      import('./web/api'),
    ])
  const web = createWebApp(core.webDeps, [
    archiveRoutes,
    webhookRoutes(core.webhooks),
    adminRoutesWith({ mailer: core.mailer }),
    apiRoutes,
  ])
  return { ...core, web }
}

/**
 * Wires the services: the engine with each kind's policy, the domain's work around each tick, what the
 * web app is built from. Does no I/O beyond initialising the shared throttle row.
 */
export async function createCoreServices(input: ServiceInputs): Promise<CoreServices> {
  const { config, db, mailer, clock, logger, content } = input
  const realClock = input.realClock ?? clock
  // RESEND_RATE_LIMIT is the provider's limit; the local outbox has none, so its calls are paced
  // only by the throttle's highest rate (a burst of confirmations reaches the inbox in seconds).
  await initThrottle(
    db,
    mailer.transport === 'outbox' ? OUTBOX_CALLS_PER_SECOND : config.resend.rateLimit,
    realClock.now(),
  )
  const schedule = { sendHour: config.schedule.sendHour, sendDays: config.schedule.sendDays }
  const courseList = (current = content.current): CourseSettings[] =>
    current.courses.map((c) => ({ slug: c.slug, lessons: c.lessons, schedule, pacing: c.pacing }))
  const courses = (): Courses => {
    const bySlug = new Map(courseList().map((c) => [c.slug, c]))
    return (slug) => bySlug.get(slug)
  }
  const sender = new Sender({
    db,
    mailer,
    clock,
    realClock,
    logger,
    content: () => content.refresh(),
    policies: {
      confirmation: confirmationPolicy,
      invitation: invitationPolicy,
      lesson: lessonPolicy(courses, { lessonsPerDay: config.schedule.lessonsPerDay }),
      newsletter: newsletterPolicy(() => content.current, {
        sendHour: schedule.sendHour,
        skipCourseDay: config.schedule.newsletterSkipCourseDay,
      }),
    },
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
    },
  })
  const subscribers: SubscriberDeps = {
    db,
    clock,
    logger,
    secret: config.secret,
    courses,
    courseSlugs: () => content.current.courses.map((c) => c.slug),
    sendSoon: (ids) => sender.sendSoon(ids),
  }
  const tasks: TickTasks = {
    before: [
      startDueIssues(db, logger),
      // A content change (lessons added, removed, re-dayed) re-points the waiting lessons first.
      replanWhenLessonsChange(db, async () => courseList(await content.refresh()), logger),
    ],
    after: [
      (now) => finishIssues(db, now),
      // Outgoing events are kept a month for replays and the delivery log; idempotent answers a day.
      async () => {
        const at = realClock.now().getTime()
        await pruneEvents(db, new Date(at - EVENT_RETENTION_MS))
        await pruneIdempotent(db, new Date(at - IDEMPOTENCY_RETENTION_MS))
      },
    ],
  }
  const tickDeps = {
    sender,
    now: () => clock.now(),
    logger,
    tasks,
    tickBudgetMs: config.schedule.tickBudgetMs,
  }
  const scheduler = new Scheduler({ ...tickDeps, tickCron: config.schedule.tickCron })
  const devInboxDir = mailer.transport === 'outbox' && config.env !== 'production' ? config.outboxDir : null
  const webDeps: WebDeps = {
    config,
    db,
    clock,
    logger,
    content: () => content.current,
    freshContent: async () => ({ content: await content.refresh(), problems: content.problems }),
    subscribers,
    devInboxDir,
  }
  const webhooks = new WebhookProcessor({ db, clock, logger })
  const events = new EventDispatcher({
    db,
    clock: realClock,
    logger,
    settings: {
      workerId: config.workerId,
      leaseMs: 60_000,
      timeoutMs: 10_000,
      batchSize: 50,
      allowInternal: config.outgoingWebhooks.allowInternal,
    },
  })
  return {
    mailer,
    subscribers,
    sender,
    scheduler,
    tick: (options = {}) => runTick(tickDeps, options),
    webDeps,
    webhooks,
    events,
  }
}
