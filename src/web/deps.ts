import type { Config } from '../config'
import type { Content } from '../content/catalog'
import type { ContentProblem } from '../content/types'
import type { Db } from '../db/db'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'
import type { SubscriberDeps } from '../subscribers/deps'

/** What the HTTP app needs; built by the composition root (or a test). */
export interface WebDeps {
  config: Config & { secret: string }
  db: Db
  clock: Clock
  logger: Logger
  /** The current content (kept fresh by the caller). */
  content: () => Content
  /** The content, re-read first if its files changed, and the problems of the files as they are. */
  freshContent: () => Promise<{ content: Content; problems: readonly ContentProblem[] }>
  subscribers: SubscriberDeps
  /** The Maildir read by /dev/inbox, or null when mail goes to the provider (or in production). */
  devInboxDir: string | null
}
