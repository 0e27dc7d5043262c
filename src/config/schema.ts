import { validate as isValidCron } from 'node-cron'
import { z } from 'zod'

/** Weekday names accepted in SEND_DAYS, in ISO order (1 = Monday). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const

const bool = <F extends boolean | undefined>(fallback: F) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((value, ctx): boolean | F => {
      if (value === undefined || value === '') return fallback
      if (['1', 'true', 'yes', 'on'].includes(value)) return true
      if (['0', 'false', 'no', 'off'].includes(value)) return false
      ctx.addIssue({ code: 'custom', message: 'expected true or false' })
      return z.NEVER
    })

/** A number in [min, max] (a whole one if `whole`), or the fallback when unset. */
const numberIn = (fallback: number, min: number, max: number, whole: boolean) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback
      const n = Number(value)
      if ((whole ? !Number.isInteger(n) : !Number.isFinite(n)) || n < min || n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a ${whole ? 'whole number' : 'number'} from ${min} to ${max}`,
        })
        return z.NEVER
      }
      return n
    })

const int = (fallback: number, min: number, max: number) => numberIn(fallback, min, max, true)
const num = (fallback: number, min: number, max: number) => numberIn(fallback, min, max, false)

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined))

const url = (protocols: string[]) =>
  optionalText.refine(
    (value) => {
      if (value === undefined) return true
      try {
        return protocols.includes(new URL(value).protocol)
      } catch {
        return false
      }
    },
    { message: `expected a URL (${protocols.join(' or ')})` },
  )

/** SEND_DAYS: "all" (default) or weekday names/ranges such as "mon-fri" or "mon,wed,fri". */
const sendDays = optionalText.transform((value, ctx) => {
  if (value === undefined || ['all', 'every', '*'].includes(value.toLowerCase())) return [1, 2, 3, 4, 5, 6, 7]
  const days = new Set<number>()
  for (const part of value.toLowerCase().split(',')) {
    const [from, to = from] = part
      .trim()
      .split('-')
      .map((name) => WEEKDAYS.indexOf(name.trim().slice(0, 3) as never) + 1)
    if (!from || !to || from > to) {
      ctx.addIssue({
        code: 'custom',
        message: `expected weekdays like "mon-fri" or "mon,wed,fri", got "${part.trim()}"`,
      })
      return z.NEVER
    }
    for (let day = from; day <= to; day++) days.add(day)
  }
  return [...days].sort()
})

/** The environment, as text, validated and turned into typed settings. Names are the variable names. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(3000, 0, 65535),
  HOST: optionalText.default('127.0.0.1'),
  BASE_URL: url(['http:', 'https:']),
  DATA_DIR: optionalText.default('./data'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DATABASE_PREPARED_STATEMENTS: bool(true),
  OUTBOX_DIR: optionalText.default('./outbox'),
  LESSONS_DIR: optionalText.default('./lessons'),
  NEWSLETTERS_DIR: optionalText.default('./newsletters'),
  RESEND_API_KEY: optionalText,
  RESEND_BASE_URL: url(['http:', 'https:']),
  RESEND_RATE_LIMIT: num(2, 0.1, 1000),
  RESEND_WEBHOOK_SECRET: optionalText,
  ALLOW_OUTBOX_IN_PRODUCTION: bool(false),
  MAIL_FROM: optionalText,
  REPLY_TO: optionalText,
  POSTAL_ADDRESS: optionalText,
  COURSE_NAME: optionalText.default('Avoiding SMP regrets'),
  SECRET: optionalText.refine((value) => value === undefined || value.length >= 32, {
    message: 'expected at least 32 characters (try: openssl rand -hex 32)',
  }),
  ADMIN_TOKEN: optionalText.refine((value) => value === undefined || value.length >= 16, {
    message: 'expected at least 16 characters',
  }),
  SEND_HOUR: int(9, 0, 23),
  SEND_DAYS: sendDays,
  TICK_CRON: optionalText.default('* * * * *').refine((value) => isValidCron(value), {
    message: 'expected a cron expression such as "* * * * *"',
  }),
  TICK_BUDGET_SECONDS: int(50, 1, 3600),
  SEND_BATCH_SIZE: int(100, 1, 100),
  LEASE_SECONDS: int(300, 10, 86400),
  MAX_ATTEMPTS: int(8, 1, 50),
  NEWSLETTER_SKIP_COURSE_DAY: bool(false),
  LESSONS_PER_DAY: int(1, 1, 10),
  SUBSCRIBE_RATE_LIMIT: int(10, 1, 100000),
  API_RATE_LIMIT: int(600, 1, 1000000),
  WEBHOOKS_ALLOW_INTERNAL: bool(undefined),
  TRUST_PROXY: bool(false),
  WORKER_ID: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})

export type Env = z.output<typeof envSchema>
