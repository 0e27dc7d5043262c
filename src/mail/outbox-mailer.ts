import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Clock } from '../lib/clock'
import type { BatchResult, ItemResult, Mailer, OutgoingEmail, SingleResult } from './mailer'
import { buildMime } from './mime'

const digestOf = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 32)

/**
 * Delivers into a Maildir (`tmp/`, `new/`, `cur/`), one complete RFC 5322 message per file, readable
 * with `mutt -f outbox` and the dev inbox. Honours idempotency keys like the provider: a marker in
 * `.keys/` records what a key delivered, so a retry (even after the messages were read and moved, or
 * the inbox emptied) answers as the first time and writes nothing.
 *
 * A message's file name comes from its key (a batch's key and the email's ref) alone: a retry after a
 * crash before the marker was written replaces the first file instead of adding a second one. A batch
 * has one marker, not one per email: each file costs a write and a rename, the fewest a Maildir allows.
 */
export function createOutboxMailer(outboxDir: string, clock: Clock): Mailer {
  for (const sub of ['tmp', 'new', 'cur', '.keys']) mkdirSync(path.join(outboxDir, sub), { recursive: true })
  const markerOf = (key: string) => path.join(outboxDir, '.keys', digestOf(key))

  /** Writes one message in `tmp/` and moves it into `new/`, so a reader never sees half a message. */
  async function writeMessage(email: OutgoingEmail, digest: string): Promise<void> {
    const name = `${digest}.eml`
    const mime = await buildMime(email, { date: clock.now(), messageId: `<${digest}@outbox.course>` })
    const temp = path.join(outboxDir, 'tmp', name)
    writeFileSync(temp, mime)
    renameSync(temp, path.join(outboxDir, 'new', name))
  }

  /** Writes a marker whole or not at all (a torn marker must not read as "nothing delivered"). */
  function writeMarker(marker: string, content: string): void {
    const temp = path.join(outboxDir, 'tmp', `${path.basename(marker)}.key`)
    writeFileSync(temp, content)
    renameSync(temp, marker)
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
      attempt(async (): Promise<SingleResult> => {
        const digest = digestOf(idempotencyKey)
        const marker = markerOf(idempotencyKey)
        if (existsSync(marker)) return { ok: true, providerId: readFileSync(marker, 'utf8') }
        await writeMessage(email, digest)
        writeMarker(marker, `outbox-${digest}`)
        return { ok: true, providerId: `outbox-${digest}` }
      }),
    sendBatch: (emails, { idempotencyKey }) =>
      attempt(async (): Promise<BatchResult> => {
        // The batch's marker lists the refs it delivered: a retry of the same batch, or of a smaller
        // one (a member erased since), writes none of them again.
        const marker = markerOf(`${idempotencyKey}#batch`)
        const done = new Set<string>(existsSync(marker) ? JSON.parse(readFileSync(marker, 'utf8')) : [])
        const items: ItemResult[] = []
        for (const [index, email] of emails.entries()) {
          // Keyed by the email itself, not its position: a retry of a smaller batch must not take over
          // another member's file (and record that member as sent).
          const ref = email.ref ?? String(index)
          const digest = digestOf(`${idempotencyKey}#${ref}`)
          if (!done.has(ref)) {
            await writeMessage(email, digest)
            done.add(ref)
          }
          items.push({ ok: true, providerId: `outbox-${digest}` })
        }
        writeMarker(marker, JSON.stringify([...done]))
        return { ok: true, items }
      }),
  }
}
