import type { Content } from '../content/catalog'
import type { Queryable } from '../db/db'
import type { Member } from './batches'
import type { Decision } from './decide'
import { type LessonRef, lessonDueAt, localDate, nextLesson, type ScheduleSettings } from './plan'
import { enqueueDelivery, ON_CONFLICT_REQUEUE } from './queue'

/** How a member's email ended: sent (with the provider's id when known) or failed for good. */
export type Outcome =
  | { member: Member; sent: true; providerId: string | null }
  | { member: Member; sent: false; error: string }

interface Advance {
  subscriberId: number
  lastDay: number | null
  lastSentOn: string | null
  completed: boolean
  next: { slug: string; dueAt: Date } | null
}

/**
 * Moves a subscriber past a lesson that was handled (sent, failed for good, or removed) and plans the
 * next one. One lesson per local day holds because the next is never due on the day this one went.
 */
function advanceCourse(
  member: Member,
  handled: LessonRef | undefined,
  sent: boolean,
  lessons: readonly LessonRef[],
  schedule: ScheduleSettings,
  now: Date,
): Advance {
  const lastDay = handled ? handled.day : member.course_last_day
  const lastSentOn = sent ? localDate(now, member.timezone) : member.course_last_sent_on
  const following = nextLesson(lessons, lastDay)
  // Someone who left or paused meanwhile gets their next lesson planned when they come back.
  const active = member.status === 'confirmed' && !member.course_paused
  if (!following || !member.course_anchor_date || !active) {
    return { subscriberId: member.subscriber_id, lastDay, lastSentOn, completed: !following, next: null }
  }
  const dueAt = lessonDueAt(
    { timezone: member.timezone, anchorDate: member.course_anchor_date, lastDay, lastSentOn },
    following,
    schedule,
    now,
  )
  return {
    subscriberId: member.subscriber_id,
    lastDay,
    lastSentOn,
    completed: false,
    next: { slug: following.slug, dueAt },
  }
}

/** Writes the course progress of several subscribers and queues their next lessons: two statements. */
async function saveAdvances(q: Queryable, advances: Advance[], now: Date): Promise<void> {
  if (advances.length === 0) return
  await q.query(
    `update subscribers s set course_last_day = v.last_day, course_last_sent_on = v.last_sent_on::date,
       course_completed_at = case when v.completed then $5::timestamptz else null end, updated_at = $5
     from unnest($1::bigint[], $2::int[], $3::text[], $4::boolean[]) as v(id, last_day, last_sent_on, completed)
     where s.id = v.id`,
    [
      advances.map((a) => a.subscriberId),
      advances.map((a) => a.lastDay),
      advances.map((a) => a.lastSentOn),
      advances.map((a) => a.completed),
      now,
    ],
  )
  const next = advances.filter((a) => a.next !== null)
  if (next.length === 0) return
  await q.query(
    `insert into deliveries (subscriber_id, kind, item, status, due_at, created_at, updated_at)
     select v.id, 'lesson', v.slug, 'queued', v.due_at, $4, $4
     from unnest($1::bigint[], $2::text[], $3::timestamptz[]) as v(id, slug, due_at)
     ${ON_CONFLICT_REQUEUE}`,
    [next.map((a) => a.subscriberId), next.map((a) => a.next!.slug), next.map((a) => a.next!.dueAt), now],
  )
}

/**
 * Carries out the decisions that take a member out of the batch before sending (skip, drop, cancel,
 * replace, postpone). Returns the members still to send.
 */
export async function applyDecisions(
  q: Queryable,
  decided: { member: Member; decision: Decision }[],
  content: Content,
  schedule: ScheduleSettings,
  now: Date,
): Promise<Member[]> {
  const toSend: Member[] = []
  const advances: Advance[] = []
  for (const { member, decision } of decided) {
    switch (decision.action) {
      case 'send':
        toSend.push(member)
        break
      case 'skip':
        await q.query(
          `update deliveries set status = 'skipped', skip_reason = $2, updated_at = $3 where id = $1`,
          [member.id, decision.reason, now],
        )
        break
      case 'drop':
        await q.query('delete from deliveries where id = $1', [member.id])
        break
      case 'cancel':
        await q.query(
          `update deliveries set status = 'cancelled', skip_reason = $2, updated_at = $3 where id = $1`,
          [member.id, decision.reason, now],
        )
        advances.push(advanceCourse(member, undefined, false, content.lessons, schedule, now))
        break
      case 'replace': {
        await q.query('delete from deliveries where id = $1', [member.id])
        const progress = {
          timezone: member.timezone,
          anchorDate: member.course_anchor_date ?? localDate(now, member.timezone),
          lastDay: member.course_last_day,
          lastSentOn: member.course_last_sent_on,
        }
        const dueAt = lessonDueAt(progress, decision.lesson, schedule, now)
        await enqueueDelivery(
          q,
          { subscriberId: member.subscriber_id, kind: 'lesson', item: decision.lesson.slug, dueAt },
          now,
        )
        break
      }
      case 'postpone':
        await q.query(
          `update deliveries set status = 'queued', batch_id = null, due_at = $2, updated_at = $3 where id = $1`,
          [member.id, decision.until, now],
        )
        break
    }
  }
  await saveAdvances(q, advances, now)
  return toSend
}

/** Records what happened to the emails that were sent (or failed for good), and moves courses on. */
export async function recordOutcomes(
  q: Queryable,
  outcomes: Outcome[],
  content: Content,
  schedule: ScheduleSettings,
  now: Date,
): Promise<void> {
  const sent = outcomes.filter((o): o is Extract<Outcome, { sent: true }> => o.sent)
  const failed = outcomes.filter((o): o is Extract<Outcome, { sent: false }> => !o.sent)
  if (sent.length > 0) {
    await q.query(
      `update deliveries d set status = 'sent', provider_id = v.provider_id, sent_at = $3, updated_at = $3, last_error = null
       from unnest($1::bigint[], $2::text[]) as v(id, provider_id) where d.id = v.id`,
      [sent.map((o) => o.member.id), sent.map((o) => o.providerId), now],
    )
  }
  if (failed.length > 0) {
    await q.query(
      `update deliveries d set status = 'failed', last_error = v.error, updated_at = $3
       from unnest($1::bigint[], $2::text[]) as v(id, error) where d.id = v.id`,
      [failed.map((o) => o.member.id), failed.map((o) => o.error), now],
    )
  }
  const advances = outcomes
    .filter((o) => o.member.kind === 'lesson')
    .map((o) =>
      advanceCourse(o.member, content.lesson(o.member.item), o.sent, content.lessons, schedule, now),
    )
  await saveAdvances(q, advances, now)
}
