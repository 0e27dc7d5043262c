import type { Content } from '../content/catalog'
import type { Member } from './batches'
import {
  addDays,
  type LessonRef,
  localDate,
  localHourInstant,
  nextLesson,
  type ScheduleSettings,
} from './plan'

/** What to do with one claimed delivery, decided right before sending from the subscriber's current state. */
export type Decision =
  | { action: 'send' }
  /** Never send it (they left, turned the newsletter off, …); the row keeps the reason. */
  | { action: 'skip'; reason: string }
  /** Forget the row: it is planned again later (a paused course resumes with it). */
  | { action: 'drop' }
  /** The lesson no longer exists: record that and move on to the next one. */
  | { action: 'cancel'; reason: string }
  /** An earlier lesson was added since this one was queued: send that one first. */
  | { action: 'replace'; lesson: LessonRef }
  /** Hold it until then (a newsletter on a lesson day). */
  | { action: 'postpone'; until: Date }

export interface DecideSettings {
  schedule: ScheduleSettings
  newsletterSkipCourseDay: boolean
}

/**
 * Decides about one member. `attempted` says the batch may already have reached the provider: then the
 * retry repeats that request exactly (same members, same key), or the provider could not recognise it
 * and a person might get the email twice. The state check happens before the first attempt.
 */
export function decide(
  member: Member,
  attempted: boolean,
  content: Content,
  settings: DecideSettings,
  now: Date,
): Decision {
  if (attempted) return { action: 'send' }
  if (member.kind === 'confirmation') {
    return member.status === 'confirmed'
      ? { action: 'skip', reason: 'already confirmed' }
      : { action: 'send' }
  }
  if (member.status !== 'confirmed') {
    // A lesson is planned again if they come back; a newsletter keeps the reason it was not sent.
    return member.kind === 'lesson'
      ? { action: 'drop' }
      : { action: 'skip', reason: `subscriber ${member.status}` }
  }
  if (member.kind === 'lesson') {
    if (member.course_paused) return { action: 'drop' }
    const lesson = content.lesson(member.item)
    if (!lesson) return { action: 'cancel', reason: 'lesson removed from the course' }
    if (member.course_last_day !== null && lesson.day <= member.course_last_day) {
      return { action: 'skip', reason: 'already past this lesson' }
    }
    const expected = nextLesson(content.lessons, member.course_last_day)
    if (expected && expected.slug !== lesson.slug && expected.day < lesson.day) {
      return { action: 'replace', lesson: expected }
    }
    return { action: 'send' }
  }
  if (!member.newsletter_opt_in) return { action: 'skip', reason: 'newsletter turned off' }
  if (!content.newsletter(member.item)) return { action: 'skip', reason: 'issue removed' }
  if (settings.newsletterSkipCourseDay) {
    const today = localDate(now, member.timezone)
    const lessonToday =
      member.course_last_sent_on === today ||
      (member.next_lesson_due !== null && localDate(member.next_lesson_due, member.timezone) === today)
    if (lessonToday) {
      return {
        action: 'postpone',
        until: localHourInstant(addDays(today, 1), settings.schedule.sendHour, member.timezone),
      }
    }
  }
  return { action: 'send' }
}
