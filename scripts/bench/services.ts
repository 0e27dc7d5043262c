import type { Config } from '../../src/config'
import type { ContentStore } from '../../src/content/catalog'
import type { Db } from '../../src/db/db'
import type { ComposeSettings } from '../../src/delivery/compose'
import { type Clock, systemClock } from '../../src/lib/clock'
import { silentLogger } from '../../src/lib/logger'
import type { Mailer } from '../../src/mail/mailer'
import { createResendMailer } from '../../src/mail/resend-mailer'
import { openContent } from '../../src/runtime'
import { createServices, type Services } from '../../src/services'

/**
 * A mailer that accepts everything at once and keeps nothing: what is left of a tick or a signup is
 * then our own work (SQL, composing), not a provider's.
 */
export function createInstantMailer(): Mailer & { sent: () => number } {
  let count = 0
  return {
    transport: 'resend',
    sent: () => count,
    async send() {
      count += 1
      return { ok: true, providerId: `bench-${count}` }
    },
    async sendBatch(emails) {
      const items = emails.map(() => {
        count += 1
        return { ok: true as const, providerId: `bench-${count}` }
      })
      return { ok: true, items }
    },
  }
}

/** The real `resend` SDK pointed at a (fake) server. */
export function createSdkMailer(baseUrl: string): Mailer {
  return createResendMailer({ apiKey: 're_bench', baseUrl })
}

let content: Promise<ContentStore> | null = null

/** The real lessons and newsletters, compiled once for the whole run. */
export function benchContent(config: Config): Promise<ContentStore> {
  content ??= openContent(config, silentLogger)
  return content
}

/** What the sender composes emails with, from the configuration (as src/services.ts passes it). */
export function composeSettings(config: Config & { secret: string }): ComposeSettings {
  return {
    baseUrl: config.baseUrl,
    from: config.mail.from,
    replyTo: config.mail.replyTo,
    secret: config.secret,
  }
}

/** The services as tests/helpers/harness.ts builds them, on the given database, mailer and clocks. */
export async function buildServices(options: {
  config: Config & { secret: string }
  db: Db
  mailer: Mailer
  clock?: Clock
  realClock?: Clock
}): Promise<Services> {
  return createServices({
    config: options.config,
    db: options.db,
    mailer: options.mailer,
    clock: options.clock ?? systemClock,
    realClock: options.realClock ?? systemClock,
    logger: silentLogger,
    content: await benchContent(options.config),
  })
}

/** Stops the sender and waits for what it was doing (the same order as the harness's close). */
export async function stopServices(services: Services): Promise<void> {
  services.sender.stop()
  await services.sender.whenIdle()
  await services.webhooks.stop()
}

/** The throttle's shared rate, set directly: the configuration caps RESEND_RATE_LIMIT at 1,000/s. */
export async function setThrottleRate(db: Db, perSecond: number): Promise<void> {
  await db.query('update send_control set rate_per_second = $1', [perSecond])
}
