import { parseArgs } from 'node:util'
import { DateTime, IANAZone } from 'luxon'
import { type PlannedLesson, planTimeline } from '../course/plan'
import { readerTimeline } from '../course/timeline'
import { systemClock } from '../lib/clock'
import { openContent } from '../runtime'
import { findSubscriberByKey } from '../subscribers/store'
import { checkEmail } from '../subscribers/validate'
import type { CliContext } from './context'
import { EXIT, UsageError, writeLine } from './io'
import { parseInstant } from './run-due'
import { formatTable } from './table'

export const simulateUsage =
  'course simulate --timezone TZ --confirmed-at ISO | --email E   the planned lesson timeline, local and UTC'

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
    options: { email: { type: 'string' }, timezone: { type: 'string' }, 'confirmed-at': { type: 'string' } },
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
    printTimeline(ctx, planTimeline(content.lessons, values.timezone, confirmedAt, settings), values.timezone)
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
    writeLine(
      ctx.io.out,
      `${s.email}: ${s.status}${s.course_paused ? ', course paused' : ''}, time zone ${s.timezone}`,
    )
    const shown = await readerTimeline(
      db,
      s.id,
      { lessons: content.lessons, schedule: settings },
      systemClock.now(),
    )
    if (!shown) {
      writeLine(ctx.io.out, 'not enrolled yet (the course starts when the address is confirmed)')
      return EXIT.ok
    }
    printTimeline(ctx, shown, s.timezone)
    return EXIT.ok
  } finally {
    await runtime.close()
  }
}
