import { createHash } from 'node:crypto'
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Clock } from '../lib/clock'
import type { BatchResult, ItemResult, Mailer, OutgoingEmail, SingleResult } from './mailer'
import { buildMime } from './mime'

/**
 * Delivers into a Maildir (`tmp/`, `new/`, `cur/`), one complete RFC 5322 message per file, readable
 * with `mutt -f outbox` and the dev inbox. Honours idempotency keys like the provider: the file name
 * comes from the key, so a retry finds the message already there and answers as the first time.
 */
export function createOutboxMailer(outboxDir: string, clock: Clock): Mailer {
  for (const sub of ['tmp', 'new', 'cur', '.keys']) mkdirSync(path.join(outboxDir, sub), { recursive: true })

  /** Writes one message unless its key already produced one; returns its id either way. */
  async function deliver(email: OutgoingEmail, key: string): Promise<string> {
    const digest = createHash('sha256').update(key).digest('hex').slice(0, 32)
    const id = `outbox-${digest}`
    const marker = path.join(outboxDir, '.keys', digest)
    if (existsSync(marker)) return readFileSync(marker, 'utf8')
    const now = clock.now()
    // The name comes from the key alone: a retry after a crash between the link and the marker
    // collides with the first file instead of adding a second one.
    const name = `${digest}.eml`
    const mime = await buildMime(email, { date: now, messageId: `<${digest}@outbox.course>` })
    const temp = path.join(outboxDir, 'tmp', name)
    writeFileSync(temp, mime)
    try {
      linkSync(temp, path.join(outboxDir, 'new', name))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      unlinkSync(temp)
    }
    writeFileSync(marker, id)
    return id
  }

  async function attempt<T>(
    fn: () => Promise<T>,
  ): Promise<T | { ok: false; retryable: true; code: string; message: string }> {
    try {
      return await fn()
    } catch (error) {
      // A full disk or a permissions problem: worth retrying later, like a provider outage.
      return { ok: false, retryable: true, code: 'outbox_write_failed', message: (error as Error).message }
    }
  }

  return {
    transport: 'outbox',
    send: (email, { idempotencyKey }) =>
      attempt(
        async (): Promise<SingleResult> => ({ ok: true, providerId: await deliver(email, idempotencyKey) }),
      ),
    sendBatch: (emails, { idempotencyKey }) =>
      attempt(async (): Promise<BatchResult> => {
        const items: ItemResult[] = []
        for (const [index, email] of emails.entries()) {
          // Keyed by the email itself, not its position: a retry of a smaller batch must not take over
          // another member's file (and record that member as sent).
          items.push({
            ok: true,
            providerId: await deliver(email, `${idempotencyKey}#${email.ref ?? index}`),
          })
        }
        return { ok: true, items }
      }),
  }
}
