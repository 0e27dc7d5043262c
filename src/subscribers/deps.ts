import type { CourseSettings } from '../course/lessons'
import type { Db } from '../db/db'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'

/** What the subscriber services need, passed in (built by the composition root or a test). */
export interface SubscriberDeps {
  db: Db
  clock: Clock
  logger: Logger
  secret: string
  /** The course as the current content has it: its lessons by day, and the schedule. */
  course: () => CourseSettings
  /** Asks the sender to send these queued deliveries now (confirmation, lesson day 0), without waiting for a tick. */
  sendSoon: (deliveryIds: number[]) => void
}
