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
      const [enrolments, nextDue] = settings.skipCourseDay
        ? await Promise.all([readEnrolments(tx, ids), nextLessonDue(tx, ids)])
        : [new Map(), new Map<number, Date>()]
      return members.map((member): Decision => {
        if (member.status !== 'confirmed') return { action: 'skip', reason: `subscriber ${member.status}` }
        if (!member.newsletter_opt_in) return { action: 'skip', reason: 'newsletter turned off' }
        if (!member.item || !content().newsletter(member.item))
          return { action: 'skip', reason: 'issue removed' }
        if (settings.skipCourseDay) {
          const today = localDate(now, member.timezone)
          const due = nextDue.get(member.subscriber_id)
          const lessonToday =
            enrolments.get(member.subscriber_id)?.course_last_sent_on === today ||
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
