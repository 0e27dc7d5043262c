import { parseArgs } from 'node:util'
import type { Queryable } from '../db/db'
import { sendingPausedUntil } from '../drip/throttle'
import type { CliContext } from './context'
import { EXIT, writeLine } from './io'
import { formatTable } from './table'

/** Counts of subscribers and deliveries, the next due times, open batches, and any send pause. */
export async function readStatus(db: Queryable, now: Date) {
  const subscribers = await db.query<{ status: string; paused: boolean; n: number }>(
    'select status, course_paused as paused, count(*)::int as n from subscribers group by 1, 2 order by 1, 2',
  )
  const deliveries = await db.query<{
    kind: string
    item: string
    status: string
    n: number
    next_due: Date | null
  }>(
    // Every confirmation has an item of its own: count them together.
    `select kind, case when kind = 'confirmation' then 'confirm-*' else item end as item, status, count(*)::int as n,
            min(due_at) filter (where status = 'queued') as next_due
     from deliveries group by 1, 2, 3 order by 1, 2, 3`,
  )
  const batches = await db.query<{ open: number; retrying: number; next_retry: Date | null }>(
    `select count(*)::int as open, count(*) filter (where attempts > 0)::int as retrying,
            min(lease_until) filter (where attempts > 0) as next_retry
     from send_batches where completed_at is null`,
  )
  const failures = await db.query<{ kind: string; item: string; last_error: string; n: number }>(
    `select kind, item, last_error, count(*)::int as n from deliveries where status = 'failed'
     group by 1, 2, 3 order by n desc limit 10`,
  )
  return {
    subscribers: subscribers.rows,
    deliveries: deliveries.rows,
    batches: batches.rows[0]!,
    failures: failures.rows,
    paused: await sendingPausedUntil(db, now),
  }
}

export const statusUsage =
  'course status [--json]             counts per lesson and state, next due times, failures'

/** `course status`: what the queue holds, per email and state. */
export async function statusCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true })
  const runtime = await ctx.open({ logLevel: 'warn', sends: false })
  try {
    const status = await readStatus(runtime.database.db, new Date())
    if (values.json) {
      writeLine(ctx.io.out, JSON.stringify(status, null, 2))
      return EXIT.ok
    }
    const out = ctx.io.out
    writeLine(out, 'Subscribers')
    writeLine(
      out,
      formatTable(
        ['status', 'course', 'count'],
        status.subscribers.map((r) => [r.status, r.paused ? 'paused' : 'active', r.n]),
      ),
    )
    writeLine(out)
    const order = new Map(runtime.content.current.lessons.map((lesson, index) => [lesson.slug, index]))
    const rows = [...status.deliveries].sort(
      (a, b) =>
        a.kind.localeCompare(b.kind) ||
        (order.get(a.item) ?? 999) - (order.get(b.item) ?? 999) ||
        a.item.localeCompare(b.item),
    )
    writeLine(out, 'Deliveries')
    writeLine(
      out,
      rows.length === 0
        ? '(none yet)'
        : formatTable(
            ['kind', 'item', 'state', 'count', 'next due (UTC)'],
            rows.map((r) => [r.kind, r.item, r.status, r.n, r.next_due?.toISOString() ?? '']),
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
          ['kind', 'item', 'count', 'reason'],
          status.failures.map((r) => [r.kind, r.item, r.n, r.last_error]),
        ),
      )
    }
    return EXIT.ok
  } finally {
    await runtime.close()
  }
}
