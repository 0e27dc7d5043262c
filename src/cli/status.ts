import { parseArgs } from 'node:util'
import { countByStatusAndPause } from '../course/progress'
import type { Queryable } from '../db/db'
import { readQueueSummary } from '../delivery/store/reads'
import { sendingPausedUntil } from '../delivery/throttle'
import type { CliContext } from './context'
import { EXIT, writeLine } from './io'
import { formatTable } from './table'

/** Counts of subscribers and deliveries, the next due times, open batches, and any send pause. */
export async function readStatus(db: Queryable, now: Date) {
  return {
    subscribers: await countByStatusAndPause(db),
    ...(await readQueueSummary(db)),
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
