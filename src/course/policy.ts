import type { Queryable } from '../db/db'
import type { Decision, DeliveryPolicy, Outcome } from '../delivery/policy'
import { queueEmails } from '../delivery/store/queue'
import { localDate } from '../lib/local-time'
import { type CourseSettings, queueNextLessons } from './lessons'
import { type LessonRef, lessonDueAt, nextLesson } from './plan'
import { type Advance, type Enrolment, enrolmentProgress, readEnrolments, saveAdvances } from './progress'

/**
 * What the course says about its lesson emails. Before the first attempt: a reader who left or paused
 * gets nothing (the lesson is planned again if they come back), a removed lesson is recorded as such,
 * a lesson the reader is already past is skipped, and an earlier lesson added since goes first. After
 * the outcome: the reader moves past the lesson and the next one is planned.
 */
export function lessonPolicy(course: () => CourseSettings): DeliveryPolicy {
  return {
    async decide(tx, members, now) {
      const { lessons, schedule } = course()
      const enrolments = await readEnrolments(
        tx,
        members.map((m) => m.subscriber_id),
      )
      const passed: Advance[] = []
      const replacements: Parameters<typeof queueEmails>[1][number][] = []
      const decisions = members.map((member): Decision => {
        const enrolment = enrolments.get(member.subscriber_id)
        const progress = enrolment && enrolmentProgress(enrolment)
        if (member.status !== 'confirmed' || !enrolment || enrolment.course_paused || !progress)
          return { action: 'drop' }
        const lesson = lessons.find((l) => l.slug === member.item)
        if (!lesson) {
          passed.push(advance(enrolment, undefined, false, lessons, now))
          return { action: 'cancel', reason: 'lesson removed from the course' }
        }
        if (progress.lastDay !== null && lesson.day <= progress.lastDay)
          return { action: 'skip', reason: 'already past this lesson' }
        const expected = nextLesson(lessons, progress.lastDay)
        if (expected && expected.slug !== lesson.slug && expected.day < lesson.day) {
          replacements.push({
            subscriberId: member.subscriber_id,
            kind: 'lesson',
            item: expected.slug,
            dueAt: lessonDueAt(progress, expected, schedule, now),
          })
          return { action: 'drop' }
        }
        return { action: 'send' }
      })
      await queueEmails(tx, replacements, now)
      await moveOn(tx, passed, enrolments, course(), now)
      return decisions
    },

    async settled(tx, outcomes: readonly Outcome[], now) {
      const { lessons } = course()
      const enrolments = await readEnrolments(
        tx,
        outcomes.map((o) => o.member.subscriber_id),
      )
      const advances = outcomes.flatMap((o) => {
        const enrolment = enrolments.get(o.member.subscriber_id)
        if (!enrolment) return []
        const lesson = lessons.find((l) => l.slug === o.member.item)
        return [advance(enrolment, lesson, o.sent, lessons, now)]
      })
      await moveOn(tx, advances, enrolments, course(), now)
    },
  }
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
  const lastDay = handled ? handled.day : enrolment.course_last_day
  return {
    subscriberId: enrolment.subscriber_id,
    lastDay,
    lastSentOn: sent ? localDate(now, enrolment.timezone) : enrolment.course_last_sent_on,
    completed: !nextLesson(lessons, lastDay),
  }
}

/** Saves the advances and plans each reader's next lesson from where they now are. */
async function moveOn(
  tx: Queryable,
  advances: readonly Advance[],
  enrolments: Map<number, Enrolment>,
  course: CourseSettings,
  now: Date,
): Promise<void> {
  if (advances.length === 0) return
  await saveAdvances(tx, advances, now)
  const moved = advances.flatMap((a) => {
    const before = enrolments.get(a.subscriberId)
    return before ? [{ ...before, course_last_day: a.lastDay, course_last_sent_on: a.lastSentOn }] : []
  })
  await queueNextLessons(tx, moved, course, now)
}
