import type { Db } from '../db/db'
import type { LessonRef, ScheduleSettings } from '../drip/plan'
import type { Clock } from '../lib/clock'
import type { Logger } from '../lib/logger'

/** What the subscriber services need, passed in (built by the composition root or a test). */
export interface SubscriberDeps {
  db: Db
  clock: Clock
  logger: Logger
  secret: string
  schedule: ScheduleSettings
  /** The lessons of the current content, sorted by day. */
  lessons: () => readonly LessonRef[]
  /** Asks the sender to send these queued deliveries now (confirmation, lesson day 0), without waiting for a tick. */
  sendSoon: (deliveryIds: number[]) => void
}
