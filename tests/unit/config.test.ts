import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, readEnvironment, resolveSecret } from '../../src/config'
import { envSchema } from '../../src/config/schema'
import { REPO_ROOT } from '../helpers/harness'

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env, '/srv/course')
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('configuration', () => {
  it('runs on embedded defaults with no configuration at all', () => {
    const config = loadConfig({}, '/srv/course')
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      baseUrl: 'http://localhost:3000',
      dataDir: '/srv/course/data',
      outboxDir: '/srv/course/outbox',
      transport: 'outbox',
      databaseUrl: undefined,
      databasePreparedStatements: true,
      schedule: { sendHour: 9, sendDays: [1, 2, 3, 4, 5, 6, 7], tickCron: '* * * * *', batchSize: 100 },
      resend: { rateLimit: 2 },
    })
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('lists every problem in one message, by variable name, with what is expected', () => {
    const error = problems({
      PORT: 'eighty',
      SEND_HOUR: '25',
      SEND_DAYS: 'funday',
      TICK_CRON: 'every minute',
      DATABASE_URL: 'mysql://db/x',
      RESEND_RATE_LIMIT: '0',
      NEWSLETTER_SKIP_COURSE_DAY: 'maybe',
      SECRET: 'short',
    })
    const text = error.message
    expect(error.problems).toHaveLength(8)
    expect(text).toContain('PORT: expected a whole number from 0 to 65535')
    expect(text).toContain('SEND_HOUR: expected a whole number from 0 to 23')
    expect(text).toContain('SEND_DAYS: expected weekdays like "mon-fri"')
    expect(text).toContain('TICK_CRON: expected a cron expression')
    expect(text).toContain('DATABASE_URL: expected a URL (postgres: or postgresql:)')
    expect(text).toContain('RESEND_RATE_LIMIT: expected a number from 0.1 to 1000')
    expect(text).toContain('NEWSLETTER_SKIP_COURSE_DAY: expected true or false')
    expect(text).toContain('SECRET: expected at least 32 characters')
  })

  it('turns prepared statements off for a pooler that cannot keep them', () => {
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'false' }).databasePreparedStatements).toBe(false)
    expect(problems({ DATABASE_PREPARED_STATEMENTS: 'sometimes' }).message).toContain(
      'DATABASE_PREPARED_STATEMENTS: expected true or false',
    )
  })

  it('understands weekday ranges and lists', () => {
    expect(loadConfig({ SEND_DAYS: 'mon-fri' }).schedule.sendDays).toEqual([1, 2, 3, 4, 5])
    expect(loadConfig({ SEND_DAYS: 'Sat,sun,wed' }).schedule.sendDays).toEqual([3, 6, 7])
  })

  it('refuses unsafe defaults in production, naming each variable', () => {
    const error = problems({ NODE_ENV: 'production', BASE_URL: 'http://course.example.org' })
    expect(error.problems).toEqual([
      'SECRET: required in production (at least 32 random characters)',
      'BASE_URL: must be https in production',
      'MAIL_FROM: required in production (e.g. "Course <course@your-domain>")',
      'POSTAL_ADDRESS: required in production (anti-spam laws)',
      'RESEND_API_KEY: required in production, or set ALLOW_OUTBOX_IN_PRODUCTION=true',
    ])
    const ok = loadConfig({
      NODE_ENV: 'production',
      BASE_URL: 'https://course.example.org',
      SECRET: 'x'.repeat(40),
      MAIL_FROM: 'Course <c@example.org>',
      POSTAL_ADDRESS: '1 Street',
      RESEND_API_KEY: 're_live',
    })
    expect(ok.transport).toBe('resend')
  })

  it('generates a development secret once, keeps it private in DATA_DIR, and reuses it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'course-secret-'))
    const config = loadConfig({ DATA_DIR: dir })
    const first = resolveSecret(config).secret
    expect(first).toMatch(/^[0-9a-f]{64}$/)
    expect(statSync(path.join(dir, 'secret')).mode & 0o777).toBe(0o600)
    expect(resolveSecret(config).secret).toBe(first)
    expect(resolveSecret(loadConfig({ DATA_DIR: dir, SECRET: 'y'.repeat(32) })).secret).toBe('y'.repeat(32))
  })

  it('reads .env, with variables already set in the environment taking precedence', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'course-env-'))
    writeFileSync(path.join(dir, '.env'), 'COURSE_TEST_FROM_FILE=file\nCOURSE_TEST_BOTH=file\n')
    process.env.COURSE_TEST_BOTH = 'environment'
    const env = readEnvironment(dir)
    expect(env.COURSE_TEST_FROM_FILE).toBe('file')
    expect(env.COURSE_TEST_BOTH).toBe('environment')
  })

  it('documents every variable in .env.example', () => {
    const example = readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8')
    const documented = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]))
    for (const name of Object.keys(envSchema.shape)) expect(documented.has(name), name).toBe(true)
    expect(() =>
      loadConfig(Object.fromEntries([...example.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]))),
    ).not.toThrow()
  })
})
