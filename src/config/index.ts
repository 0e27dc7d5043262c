import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import { envSchema } from './schema'

/** Typed, validated settings. Built once by {@link loadConfig}; everything else receives it as an argument. */
export interface Config {
  readonly env: 'development' | 'production' | 'test'
  readonly port: number
  readonly host: string
  /** Public origin of the web server, without a trailing slash. */
  readonly baseUrl: string
  readonly dataDir: string
  readonly databaseUrl: string | undefined
  /** Prepare statements on the PostgreSQL server (off behind a pooler that cannot keep them). */
  readonly databasePreparedStatements: boolean
  readonly outboxDir: string
  readonly lessonsDir: string
  readonly newslettersDir: string
  /** Where mail goes: Resend when an API key is set, else the local Maildir outbox. */
  readonly transport: 'resend' | 'outbox'
  readonly resend: {
    readonly apiKey: string | undefined
    readonly baseUrl: string | undefined
    readonly rateLimit: number
    readonly webhookSecret: string | undefined
  }
  readonly mail: {
    readonly from: string
    readonly replyTo: string | undefined
    readonly postalAddress: string
    readonly courseName: string
  }
  /** HMAC key for links; undefined until {@link resolveSecret} fills it in development. */
  readonly secret: string | undefined
  readonly adminToken: string | undefined
  readonly schedule: {
    readonly sendHour: number
    /** ISO weekdays (1 = Monday … 7 = Sunday) on which lessons may be sent. */
    readonly sendDays: readonly number[]
    readonly tickCron: string
    readonly tickBudgetMs: number
    readonly batchSize: number
    readonly leaseMs: number
    readonly maxAttempts: number
    readonly newsletterSkipCourseDay: boolean
    /** At most this many lessons reach one reader on one local day, across their courses. */
    readonly lessonsPerDay: number
  }
  readonly web: { readonly subscribeRateLimit: number; readonly trustProxy: boolean }
  /** The HTTP API: requests per minute per key. */
  readonly api: { readonly rateLimit: number }
  /**
   * Outgoing webhooks: internal targets (private, loopback, link-local) are refused in production
   * unless WEBHOOKS_ALLOW_INTERNAL is set; allowed elsewhere (local receivers while developing).
   */
  readonly outgoingWebhooks: { readonly allowInternal: boolean }
  readonly workerId: string
  readonly logLevel: string
}

/** Thrown when the environment is unusable; the message lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

export const DEV_MAIL_FROM = 'SMP Course <course@example.com>'
export const DEV_POSTAL_ADDRESS = 'Set POSTAL_ADDRESS to your postal address'

/**
 * Validates the environment and returns a frozen Config. All problems are reported together.
 * `cwd` anchors relative directories so that tests and the CLI agree on where data lives.
 */
export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd()): Config {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    )
  }
  const e = parsed.data
  const transport = e.RESEND_API_KEY ? 'resend' : 'outbox'
  const problems: string[] = []
  if (e.NODE_ENV === 'production') {
    if (!e.SECRET) problems.push('SECRET: required in production (at least 32 random characters)')
    if (!e.BASE_URL) problems.push('BASE_URL: required in production (the public https URL)')
    else if (!e.BASE_URL.startsWith('https://')) problems.push('BASE_URL: must be https in production')
    if (!e.MAIL_FROM) problems.push('MAIL_FROM: required in production (e.g. "Course <course@your-domain>")')
    if (!e.POSTAL_ADDRESS) problems.push('POSTAL_ADDRESS: required in production (anti-spam laws)')
    if (transport === 'outbox' && !e.ALLOW_OUTBOX_IN_PRODUCTION) {
      problems.push('RESEND_API_KEY: required in production, or set ALLOW_OUTBOX_IN_PRODUCTION=true')
    }
  }
  if (e.MAIL_FROM && !/^(?:[^<>]*<)?[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>?$/.test(e.MAIL_FROM)) {
    problems.push('MAIL_FROM: expected an address like "Course <course@example.com>"')
  }
  if (problems.length > 0) throw new ConfigError(problems)

  const resolve = (dir: string) => path.resolve(cwd, dir)
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    baseUrl: (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    dataDir: resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    outboxDir: resolve(e.OUTBOX_DIR),
    lessonsDir: resolve(e.LESSONS_DIR),
    newslettersDir: resolve(e.NEWSLETTERS_DIR),
    transport,
    resend: Object.freeze({
      apiKey: e.RESEND_API_KEY,
      baseUrl: e.RESEND_BASE_URL,
      rateLimit: e.RESEND_RATE_LIMIT,
      webhookSecret: e.RESEND_WEBHOOK_SECRET,
    }),
    mail: Object.freeze({
      from: e.MAIL_FROM ?? DEV_MAIL_FROM,
      replyTo: e.REPLY_TO,
      postalAddress: e.POSTAL_ADDRESS ?? DEV_POSTAL_ADDRESS,
      courseName: e.COURSE_NAME,
    }),
    secret: e.SECRET,
    adminToken: e.ADMIN_TOKEN,
    schedule: Object.freeze({
      sendHour: e.SEND_HOUR,
      sendDays: Object.freeze(e.SEND_DAYS),
      tickCron: e.TICK_CRON,
      tickBudgetMs: e.TICK_BUDGET_SECONDS * 1000,
      batchSize: e.SEND_BATCH_SIZE,
      leaseMs: e.LEASE_SECONDS * 1000,
      maxAttempts: e.MAX_ATTEMPTS,
      newsletterSkipCourseDay: e.NEWSLETTER_SKIP_COURSE_DAY,
      lessonsPerDay: e.LESSONS_PER_DAY,
    }),
    web: Object.freeze({ subscribeRateLimit: e.SUBSCRIBE_RATE_LIMIT, trustProxy: e.TRUST_PROXY }),
    api: Object.freeze({ rateLimit: e.API_RATE_LIMIT }),
    outgoingWebhooks: Object.freeze({
      allowInternal: e.WEBHOOKS_ALLOW_INTERNAL ?? e.NODE_ENV !== 'production',
    }),
    workerId: e.WORKER_ID ?? `${hostname()}-${process.pid}`,
    logLevel: e.LOG_LEVEL,
  })
}

/**
 * Fills in `secret`: the configured SECRET, or (outside production) one generated once and kept
 * in DATA_DIR/secret so links stay valid across restarts.
 */
export function resolveSecret(config: Config): Config & { secret: string } {
  if (config.secret) return config as Config & { secret: string }
  if (config.env === 'production') throw new ConfigError(['SECRET: required in production'])
  const file = path.join(config.dataDir, 'secret')
  let secret = existsSync(file) ? readFileSync(file, 'utf8').trim() : ''
  if (secret.length < 32) {
    mkdirSync(config.dataDir, { recursive: true })
    secret = randomBytes(32).toString('hex')
    writeFileSync(file, `${secret}\n`, { mode: 0o600 })
  }
  return Object.freeze({ ...config, secret })
}

/**
 * Loads `.env` from the working directory into the environment if present (variables already set win).
 * Kept here so that src/config stays the only reader of the environment.
 */
export function readEnvironment(cwd = process.cwd()): Record<string, string | undefined> {
  const file = path.join(cwd, '.env')
  if (existsSync(file)) process.loadEnvFile(file)
  return { ...process.env }
}
