import type { Courses } from '../course/lessons'
import type { Db } from '../db/db'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'

/** What the subscriber services need, passed in (built by the composition root or a test). */
export interface SubscriberDeps {
  db: Db
  clock: Clock
  logger: Logger
  secret: string
  /** The courses of the current content, by slug: their lessons by day, and the schedule. */
  courses: () => Courses
  /** Every course's slug, in listing order. */
  courseSlugs: () => readonly string[]
  /** Asks the sender to send these queued deliveries now (confirmation, lesson day 0), without waiting for a tick. */
  sendSoon: (deliveryIds: number[]) => void
}
