import type { SubscriberStatus } from '../db/rows'
import type { OutgoingEvent } from '../events/types'
import { type CourseProgress, progressOf } from './plan'

/** An enrolment as read (progress.ts owns the table), what decides whether lessons go, and its events. */

export type EnrolmentStatus = 'pending' | 'active' | 'paused' | 'left' | 'completed'

/** An enrolment, with what decides whether lessons may go: its status, and its reader's zone and status. */
export interface Enrolment {
  id: number
  subscriber_id: number
  course: string
  status: EnrolmentStatus
  round: number
  anchor_date: string | null
  last_day: number | null
  last_sent_on: string | null
  paused_at: Date | null
  completed_at: Date | null
  left_at: Date | null
  source: string | null
  /** The lesson the reader asked for now ("Send me the next lesson now"), in the current round. */
  asked_next: string | null
  created_at: Date
  /** The reader's time zone (from their row): their lessons go at the send hour there. */
  timezone: string
  /** The reader's status: lessons go only while it is `confirmed`. */
  subscriber_status: SubscriberStatus
}

/** What an enrolment event says: the enrolment and whose it is. */
export interface EnrolmentEventRow {
  id: number
  subscriber_id: number
  course: string
  round: number
  anchor_date: string | null
  email: string
}

export function enrolmentEvent(
  type: 'enrolment.started' | 'enrolment.completed' | 'enrolment.left',
  row: EnrolmentEventRow,
): OutgoingEvent {
  return {
    type,
    subscriberId: Number(row.subscriber_id),
    data: {
      enrolment: { id: Number(row.id), course: row.course, round: row.round, day_zero: row.anchor_date },
      subscriber: { id: Number(row.subscriber_id), email: row.email },
    },
  }
}

/** Whether lessons may be planned for this enrolment: a confirmed reader, an active course that started. */
export function isActive(e: Enrolment): e is Enrolment & { anchor_date: string } {
  return e.subscriber_status === 'confirmed' && e.status === 'active' && e.anchor_date !== null
}

/** The progress of an enrolment, or null before it starts. */
export function enrolmentProgress(e: Enrolment): CourseProgress | null {
  return progressOf(e)
}
