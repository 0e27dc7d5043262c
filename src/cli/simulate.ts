import { parseArgs } from 'node:util'
import { DateTime, IANAZone } from 'luxon'
import type { Pacing } from '../content/types'
import { offersNextNow } from '../content/types'
import { type PlannedLesson, planTimeline } from '../course/plan'
import { readEnrolments } from '../course/progress'
import { readerTimeline } from '../course/timeline'
import { openContent } from '../runtime'
import { findSubscriberByKey } from '../subscribers/store'
import { checkEmail } from '../subscribers/validate'
import type { CliContext } from './context'
import { EXIT, pickCourse, UsageError, writeLine } from './io'
import { parseInstant } from './run-due'
import { formatTable } from './table'

export const simulateUsage =
  'course simulate --timezone TZ --confirmed-at ISO [--course C] | --email E [--course C]\n' +
  '                                   the planned lesson timeline, local and UTC'

/** A course's pacing in words, for the line above its timeline. */
function pacingLine(pacing: Pacing): string {
  const now = offersNextNow(pacing) ? '; every lesson offers the next one now' : ''
  if (pacing.mode !== 'cohort') return `${pacing.mode}: day 0 is the reader's own start${now}`
  const closes = pacing.closes
    ? `, signups close ${pacing.closes}${pacing.nextStarts ? ` (then the next group starts ${pacing.nextStarts})` : ''}`
    : ''
  return `cohort: day 0 is ${pacing.starts} for everyone${closes}; late joiners catch up one lesson a day${now}`
}

function printTimeline(ctx: CliContext, plan: (PlannedLesson & { state?: string })[], timezone: string) {
  const rows = plan.map((p) => [
    p.day,
    p.slug,
    DateTime.fromJSDate(p.dueAt, { zone: timezone }).toFormat('ccc yyyy-MM-dd HH:mm ZZZZ'),
    p.dueAt.toISOString().replace('.000Z', 'Z'),
    p.state ?? 'planned',
  ])
  writeLine(ctx.io.out, formatTable(['day', 'lesson', `local (${timezone})`, 'UTC', 'state'], rows))
}

/**
 * `course simulate`: when each lesson would go out, for a time zone and confirmation time, or for a
 * real subscriber (what was sent, and what is planned from where they are now).
 */
export async function simulateCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      email: { type: 'string' },
      timezone: { type: 'string' },
      'confirmed-at': { type: 'string' },
      course: { type: 'string' },
    },
    strict: true,
  })
  const config = ctx.config()
  const settings = { sendHour: config.schedule.sendHour, sendDays: config.schedule.sendDays }
  if (values.email === undefined) {
    const content = (await openContent(config, ctx.logger('warn'))).current
    if (!values.timezone || !values['confirmed-at'])
      throw new UsageError('give --email, or both --timezone and --confirmed-at')
    if (!IANAZone.isValidZone(values.timezone))
      throw new UsageError(`--timezone: "${values.timezone}" is not an IANA time zone such as Europe/Paris`)
    const confirmedAt = parseInstant(values['confirmed-at'], '--confirmed-at')
    const course = content.course(pickCourse(content.courses, values.course)!)!
    writeLine(ctx.io.out, `${course.title} (${course.slug}), ${pacingLine(course.pacing)}`)
    const plan = planTimeline(course.lessons, values.timezone, confirmedAt, settings, course.pacing)
    if (plan.length === 0) {
      writeLine(
        ctx.io.out,
        `signups closed on ${course.pacing.closes}, and no next group is set: nobody can join now`,
      )
      return EXIT.ok
    }
    printTimeline(ctx, plan, values.timezone)
    return EXIT.ok
  }
  const checked = checkEmail(values.email)
  if (!checked.ok) throw new UsageError(`--email: ${checked.message}`)
  const runtime = await ctx.open({ logLevel: 'warn', sends: false })
  try {
    const content = runtime.content.current
    const db = runtime.database.db
    const s = await findSubscriberByKey(db, checked.key)
    if (!s) {
      writeLine(ctx.io.err, `no subscriber with the address ${values.email}`)
      return EXIT.failed
    }
    writeLine(ctx.io.out, `${s.email}: ${s.status}, time zone ${s.timezone}`)
    const only = pickCourse(content.courses, values.course, { optional: true })
    const enrolments = (await readEnrolments(db, [s.id])).filter((e) => !only || e.course === only)
    if (enrolments.length === 0) writeLine(ctx.io.out, only ? `not in ${only}` : 'not in any course')
    for (const enrolment of enrolments) {
      const course = content.course(enrolment.course)
      writeLine(ctx.io.out)
      writeLine(ctx.io.out, `${course?.title ?? enrolment.course} (${enrolment.course}): ${enrolment.status}`)
      const shown =
        course &&
        (await readerTimeline(
          db,
          s.id,
          { slug: course.slug, lessons: course.lessons, schedule: settings, pacing: course.pacing },
          runtime.services.webDeps.clock.now(),
        ))
      if (shown) printTimeline(ctx, shown, s.timezone)
      else
        writeLine(ctx.io.out, 'not started yet (it starts when they confirm, or start it from their email)')
    }
    return EXIT.ok
  } finally {
    await runtime.close()
  }
}
