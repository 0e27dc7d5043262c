import type { Queryable } from '../db/db'
import type { Decision, DeliveryPolicy, Outcome } from '../delivery/policy'
import type { Member } from '../delivery/store/batches'
import { type QueuedEmail, queueEmails } from '../delivery/store/queue'
import { lessonsSentOnLocalDay } from '../delivery/store/reads'
import { addDays, localDate, localHourInstant, nextAllowedDate } from '../lib/local-time'
import { type Courses, queueNextLessons } from './lessons'
import { type LessonRef, lessonDueAt, nextLesson } from './plan'
import { type Advance, type Enrolment, enrolmentProgress, readEnrolments, saveAdvances } from './progress'

/** How many lessons a reader may get on one local day, across all their courses (LESSONS_PER_DAY). */
export interface LessonPolicySettings {
  lessonsPerDay: number
}

/**
 * What the courses say about lesson emails. Before the first attempt: a reader who left the list, or
 * whose course is paused, left, finished or restarted since, gets nothing (a lesson is planned again
 * if they come back); a removed lesson is recorded as such; a lesson the reader is already past is
 * skipped; an earlier lesson added since goes first; and a lesson that would be one too many for the
 * reader's local day (several courses at once) moves to their next allowed day. After the outcome: the
 * reader moves past the lesson and the next one is planned.
 */
export function lessonPolicy(courses: () => Courses, limits: LessonPolicySettings): DeliveryPolicy {
  return {
    async decide(tx, members, now) {
      const course = courses()
      const enrolments = byCourse(
        await readEnrolments(
          tx,
          members.map((m) => m.subscriber_id),
          { lockReaders: true },
        ),
      )
      const sentToday = await lessonsSentOnLocalDay(tx, members, now)
      const passed: Advance[] = []
      const replacements: QueuedEmail[] = []
      const decisions = members.map((member): Decision => {
        const enrolment = enrolments.get(`${member.subscriber_id}/${member.course}`)
        const progress = enrolment && enrolmentProgress(enrolment)
        const settings = member.course ? course(member.course) : undefined
        if (member.status !== 'confirmed' || enrolment?.status !== 'active' || !progress)
          return { action: 'drop' }
        if (enrolment.round !== member.round) return { action: 'skip', reason: 'course restarted since' }
        const lesson = settings?.lessons.find((l) => l.slug === member.item)
        if (!settings || !lesson) {
          passed.push(advance(enrolment, undefined, false, settings?.lessons ?? [], now))
          return { action: 'cancel', reason: 'lesson removed from the course' }
        }
        if (progress.lastDay !== null && lesson.day <= progress.lastDay)
          return { action: 'skip', reason: 'already past this lesson' }
        const expected = nextLesson(settings.lessons, progress.lastDay)
        if (expected && expected.slug !== lesson.slug && expected.day < lesson.day) {
          replacements.push({
            subscriberId: member.subscriber_id,
            kind: 'lesson',
            course: enrolment.course,
            round: enrolment.round,
            item: expected.slug,
            dueAt: lessonDueAt(progress, expected, settings.schedule, now),
          })
          return { action: 'drop' }
        }
        // Lessons already sent today (and those of this batch decided before) count against the day,
        // but a lesson the reader asked for now goes whatever the day had.
        const today = sentToday.get(member.subscriber_id) ?? 0
        if (today >= limits.lessonsPerDay && enrolment.asked_next !== lesson.slug)
          return { action: 'postpone', until: nextDay(member, settings, now) }
        sentToday.set(member.subscriber_id, today + 1)
        return { action: 'send' }
      })
      await queueEmails(tx, replacements, now)
      await moveOn(tx, passed, enrolments, course, now)
      return decisions
    },

    async settled(tx, outcomes: readonly Outcome[], now) {
      const course = courses()
      const enrolments = byCourse(
        await readEnrolments(
          tx,
          outcomes.map((o) => o.member.subscriber_id),
        ),
      )
      const advances = outcomes.flatMap((o) => {
        const enrolment = enrolments.get(`${o.member.subscriber_id}/${o.member.course}`)
        if (!enrolment || enrolment.round !== o.member.round) return []
        const lessons = course(enrolment.course)?.lessons ?? []
        return [
          advance(
            enrolment,
            lessons.find((l) => l.slug === o.member.item),
            o.sent,
            lessons,
            now,
          ),
        ]
      })
      await moveOn(tx, advances, enrolments, course, now)
    },
  }
}

/** The first allowed day after the reader's local today, at the send hour there. */
function nextDay(
  member: Member,
  course: { schedule: { sendHour: number; sendDays: readonly number[] } },
  now: Date,
) {
  const tomorrow = addDays(localDate(now, member.timezone), 1)
  return localHourInstant(
    nextAllowedDate(tomorrow, course.schedule.sendDays),
    course.schedule.sendHour,
    member.timezone,
  )
}

/** Enrolments by reader and course. */
function byCourse(enrolments: readonly Enrolment[]): Map<string, Enrolment> {
  return new Map(enrolments.map((e) => [`${e.subscriber_id}/${e.course}`, e]))
}

/**
 * Moves a reader past a lesson that was handled (sent, failed for good, or removed): its day becomes
 * the last one, the local date it went is remembered (one lesson per local day), and the course is
 * complete when nothing follows.
 */
function advance(
  enrolment: Enrolment,
  handled: LessonRef | undefined,
  sent: boolean,
  lessons: readonly LessonRef[],
  now: Date,
): Advance {
  const lastDay = handled ? handled.day : enrolment.last_day
  return {
    id: enrolment.id,
    lastDay,
    lastSentOn: sent ? localDate(now, enrolment.timezone) : enrolment.last_sent_on,
    completed: !nextLesson(lessons, lastDay),
  }
}

/** Saves the advances and plans each reader's next lesson from where they now are. */
async function moveOn(
  tx: Queryable,
  advances: readonly Advance[],
  enrolments: Map<string, Enrolment>,
  courses: Courses,
  now: Date,
): Promise<void> {
  if (advances.length === 0) return
  await saveAdvances(tx, advances, now)
  const byId = new Map([...enrolments.values()].map((e) => [e.id, e]))
  const moved = advances.flatMap((a) => {
    const before = byId.get(a.id)
    return before ? [{ ...before, last_day: a.lastDay, last_sent_on: a.lastSentOn }] : []
  })
  await queueNextLessons(tx, moved, courses, now)
}
