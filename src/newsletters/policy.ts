import type { Content } from '../content/catalog'
import { readEnrolments } from '../course/progress'
import type { Decision, DeliveryPolicy } from '../delivery/policy'
import { nextLessonDue } from '../delivery/store/reads'
import { addDays, localDate, localHourInstant } from '../lib/local-time'

export interface NewsletterPolicySettings {
  sendHour: number
  /** Hold an issue for a reader who gets a lesson that day, until the next day (NEWSLETTER_SKIP_COURSE_DAY). */
  skipCourseDay: boolean
}

/**
 * What the newsletter says about its emails before the first attempt: only confirmed readers with the
 * newsletter on get an issue that still exists; each skipped email keeps why. With `skipCourseDay`, an
 * issue waits a day for a reader whose lesson goes (or went) out that day.
 */
export function newsletterPolicy(content: () => Content, settings: NewsletterPolicySettings): DeliveryPolicy {
  return {
    async decide(tx, members, now) {
      const ids = members.map((m) => m.subscriber_id)
      // The local dates each reader last got a lesson of any course, and when their next is due.
      const lastSent = new Map<number, string[]>()
      let nextDue = new Map<number, Date>()
      if (settings.skipCourseDay) {
        for (const e of await readEnrolments(tx, ids))
          if (e.last_sent_on)
            lastSent.set(e.subscriber_id, [...(lastSent.get(e.subscriber_id) ?? []), e.last_sent_on])
        nextDue = await nextLessonDue(tx, ids)
      }
      return members.map((member): Decision => {
        if (member.status !== 'confirmed') return { action: 'skip', reason: `subscriber ${member.status}` }
        if (!member.newsletter_opt_in) return { action: 'skip', reason: 'newsletter turned off' }
        if (!member.item || !content().newsletter(member.item))
          return { action: 'skip', reason: 'issue removed' }
        if (settings.skipCourseDay) {
          const today = localDate(now, member.timezone)
          const due = nextDue.get(member.subscriber_id)
          const lessonToday =
            (lastSent.get(member.subscriber_id) ?? []).includes(today) ||
            (due !== undefined && localDate(due, member.timezone) === today)
          if (lessonToday)
            return {
              action: 'postpone',
              until: localHourInstant(addDays(today, 1), settings.sendHour, member.timezone),
            }
        }
        return { action: 'send' }
      })
    },
  }
}
