import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rename as renameCallback,
  writeFile as writeFileCallback,
} from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Clock } from '../lib/clock'
import type { BatchResult, ItemResult, Mailer, OutgoingEmail, SingleResult } from './mailer'
import { buildMime } from './mime'

const digestOf = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 32)

/**
 * Files of one call written at the same time. Creating a file is the outbox's dearest step (a new
 * inode: 0.3 to 3 ms of kernel time on the bench machine's disk, against 0.04 ms to overwrite one);
 * written asynchronously, several at once, the thread pool creates them side by side and the event
 * loop (and the embedded database on it) goes on meanwhile. Four is libuv's pool: more would queue.
 */
const PARALLEL_WRITES = 4

// The callback forms, not node:fs/promises: those open a FileHandle per file (an object tracked for
// the garbage collector, three promises), which cost the event loop a quarter more per file (measured:
// about 80 against 100-130 µs of the main thread per file written and renamed, four at a time).
const writeFile = promisify(writeFileCallback)
const rename = promisify(renameCallback)

/** One file to write whole: written at `temp`, then renamed to `path` (a reader never sees half). */
interface FileToWrite {
  temp: string
  path: string
  data: Uint8Array | string
}

async function writeWhole(file: FileToWrite): Promise<void> {
  await writeFile(file.temp, file.data)
  await rename(file.temp, file.path)
}

/**
 * Writes `files`, {@link PARALLEL_WRITES} at a time. Every write has ended, done or failed, before it
 * returns or throws the first failure: nothing of a call is still being written once its result is known.
 */
async function writeAll(files: readonly FileToWrite[]): Promise<void> {
  let next = 0
  const writer = async () => {
    while (next < files.length) await writeWhole(files[next++]!)
  }
  const ended = await Promise.allSettled(Array.from({ length: PARALLEL_WRITES }, writer))
  const failed = ended.find((end) => end.status === 'rejected')
  if (failed) throw failed.reason
}

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

  /** One message, written in `tmp/` and moved into `new/`. */
  async function messageFile(email: OutgoingEmail, digest: string): Promise<FileToWrite> {
    const name = `${digest}.eml`
    const mime = await buildMime(email, { date: clock.now(), messageId: `<${digest}@outbox.course>` })
    return { temp: path.join(outboxDir, 'tmp', name), path: path.join(outboxDir, 'new', name), data: mime }
  }

  /**
   * A marker, written whole or not at all (a torn marker must not read as "nothing delivered"), and
   * only once every message it lists is in place.
   */
  function markerFile(marker: string, content: string): FileToWrite {
    return { temp: path.join(outboxDir, 'tmp', `${path.basename(marker)}.key`), path: marker, data: content }
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
        await writeWhole(await messageFile(email, digest))
        await writeWhole(markerFile(marker, `outbox-${digest}`))
        return { ok: true, providerId: `outbox-${digest}` }
      }),
    sendBatch: (emails, { idempotencyKey }) =>
      attempt(async (): Promise<BatchResult> => {
        // The batch's marker lists the refs it delivered: a retry of the same batch, or of a smaller
        // one (a member erased since), writes none of them again.
        const marker = markerOf(`${idempotencyKey}#batch`)
        const done = new Set<string>(existsSync(marker) ? JSON.parse(readFileSync(marker, 'utf8')) : [])
        const items: ItemResult[] = []
        const files: FileToWrite[] = []
        for (const [index, email] of emails.entries()) {
          // Keyed by the email itself, not its position: a retry of a smaller batch must not take over
          // another member's file (and record that member as sent).
          const ref = email.ref ?? String(index)
          const digest = digestOf(`${idempotencyKey}#${ref}`)
          if (!done.has(ref)) {
            files.push(await messageFile(email, digest))
            done.add(ref)
          }
          items.push({ ok: true, providerId: `outbox-${digest}` })
        }
        // A failure fails the whole call (retried with the same key): messages already in place are
        // written again under the same names, never as second copies.
        await writeAll(files)
        await writeWhole(markerFile(marker, JSON.stringify([...done])))
        return { ok: true, items }
      }),
  }
}
