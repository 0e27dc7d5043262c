import { parseArgs } from 'node:util'
import { countEnrolments } from '../course/progress'
import type { Queryable } from '../db/db'
import { readQueueSummary } from '../delivery/store/reads'
import { sendingPausedUntil } from '../delivery/throttle'
import { countSubscribersByState } from '../subscribers/counts'
import type { CliContext } from './context'
import { EXIT, pickCourse, writeLine } from './io'
import { formatTable } from './table'

/** Counts of subscribers, enrolments and deliveries, the next due times, open batches, and any send pause. */
export async function readStatus(db: Queryable, now: Date, course?: string) {
  const summary = await readQueueSummary(db)
  const inCourse = (row: { course: string | null }) => !course || row.course === course
  return {
    subscribers: Object.entries(await countSubscribersByState(db)).map(([status, n]) => ({ status, n })),
    enrolments: (await countEnrolments(db)).filter(inCourse),
    deliveries: summary.deliveries.filter(inCourse),
    batches: summary.batches,
    failures: summary.failures.filter(inCourse),
    paused: await sendingPausedUntil(db, now),
  }
}

export const statusUsage =
  'course status [--json] [--course C] subscribers, enrolments, the queue per email and state, failures'

/** `course status`: who is where, and what the queue holds, per email and state. */
export async function statusCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, course: { type: 'string' } },
    strict: true,
  })
  const runtime = await ctx.open({ logLevel: 'warn', sends: false })
  try {
    const content = runtime.content.current
    const course = pickCourse(content.courses, values.course, { optional: true })
    const status = await readStatus(runtime.database.db, new Date(), course)
    if (values.json) {
      writeLine(ctx.io.out, JSON.stringify(status, null, 2))
      return EXIT.ok
    }
    const out = ctx.io.out
    writeLine(out, 'Subscribers')
    writeLine(
      out,
      formatTable(
        ['status', 'count'],
        status.subscribers.map((r) => [r.status, r.n]),
      ),
    )
    writeLine(out)
    writeLine(out, 'Enrolments')
    writeLine(
      out,
      status.enrolments.length === 0
        ? '(none yet)'
        : formatTable(
            ['course', 'state', 'count'],
            status.enrolments.map((r) => [r.course, r.status, r.n]),
          ),
    )
    writeLine(out)
    const order = new Map(
      content.courses.flatMap((c) =>
        c.lessons.map((lesson, index) => [`${c.slug}/${lesson.slug}`, index] as const),
      ),
    )
    const place = (r: { course: string | null; item: string }) => order.get(`${r.course}/${r.item}`) ?? 999
    const rows = [...status.deliveries].sort(
      (a, b) =>
        a.kind.localeCompare(b.kind) ||
        (a.course ?? '').localeCompare(b.course ?? '') ||
        place(a) - place(b) ||
        a.item.localeCompare(b.item),
    )
    writeLine(out, 'Deliveries')
    writeLine(
      out,
      rows.length === 0
        ? '(none yet)'
        : formatTable(
            ['kind', 'course', 'item', 'state', 'count', 'next due (UTC)'],
            rows.map((r) => [r.kind, r.course ?? '', r.item, r.status, r.n, r.next_due?.toISOString() ?? '']),
          ),
    )
    writeLine(out)
    writeLine(
      out,
      `Open batches: ${status.batches.open} (${status.batches.retrying} waiting to retry${status.batches.next_retry ? `, next at ${status.batches.next_retry.toISOString()}` : ''})`,
    )
    if (status.paused)
      writeLine(
        out,
        `Sending is PAUSED until ${status.paused.until.toISOString()}: ${status.paused.reason ?? ''}`,
      )
    if (status.failures.length > 0) {
      writeLine(out)
      writeLine(out, 'Failures (most frequent)')
      writeLine(
        out,
        formatTable(
          ['kind', 'course', 'item', 'count', 'reason'],
          status.failures.map((r) => [r.kind, r.course ?? '', r.item, r.n, r.last_error]),
        ),
      )
    }
    return EXIT.ok
  } finally {
    await runtime.close()
  }
}
