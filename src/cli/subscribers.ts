import { once } from 'node:events'
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { cliActor, recordAudit } from '../audit/log'
import { eraseSubscriber, readSubscriberRecord } from '../privacy/privacy'
import { formatRowProblem } from '../subscribers/import-rows'
import { unsubscribe } from '../subscribers/preferences'
import { findSubscriberByKey } from '../subscribers/store'
import { checkEmail } from '../subscribers/validate'
import type { CliContext } from './context'
import { describeImport, plural } from './import-report'
import { EXIT, pickCourse, UsageError, writeLine } from './io'
import { createProgress } from './progress'
import { confirmOnTerminal } from './prompt'

// The import and export (and their CSV packages) are loaded by their own commands only: every other
// command, a newsletter send above all, would carry their code for nothing.

export const subscribersUsage =
  'course subscribers import <file.csv> [--course C] [--dry-run] [--send-confirmations]\n' +
  '                                   add or update people from a CSV (email,name,timezone,confirmed_at,consent_source),\n' +
  '                                   enrolling new people in course C (needed when there are several)\n' +
  'course subscribers export [--out FILE]   every subscriber as CSV (to stdout without --out)\n' +
  'course subscribers show <email>    everything held about one person, as JSON (a GDPR access request)\n' +
  'course subscribers erase <email> [--yes] delete one person and their history, keeping only a salted hash\n' +
  'course subscribers unsubscribe <email>  stop all mail to one person (e.g. an unsubscribe request sent by email)'

/** `course subscribers import|export|show|erase` */
export async function subscribersCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args
  switch (sub) {
    case 'import':
      return importCommand(rest, ctx)
    case 'export':
      return exportCommand(rest, ctx)
    case 'show':
      return showCommand(rest, ctx)
    case 'erase':
      return eraseCommand(rest, ctx)
    case 'unsubscribe':
      return unsubscribeCommand(rest, ctx)
    default:
      throw new UsageError(
        `unknown subscribers command "${sub ?? ''}" (import, export, show, erase, unsubscribe)`,
      )
  }
}

function onePositional(positionals: string[], what: string): string {
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError(`give exactly one ${what}`)
  return positionals[0]
}

async function importCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'dry-run': { type: 'boolean' },
      'send-confirmations': { type: 'boolean' },
      course: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  const name = onePositional(positionals, 'CSV file: course subscribers import <file.csv>')
  const file = path.resolve(ctx.io.cwd, name)
  let size: number
  try {
    const stat = statSync(file)
    if (!stat.isFile()) throw new UsageError(`${name} is not a file`)
    size = stat.size
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`cannot read ${name}: ${(error as Error).message}`)
  }
  const runtime = await ctx.open({ logLevel: 'warn' })
  try {
    const course = pickCourse(runtime.content.current.courses, values.course)
    const err = ctx.io.err
    // Problem lines share stderr with the bar: on a terminal, wipe the bar's line before printing one.
    const clear = err.isTTY ? '\r\x1b[K' : ''
    const bar = createProgress({ label: values['dry-run'] ? 'checking' : 'importing', stream: err })
    const { importSubscribers } = await import('../subscribers/import')
    const result = await importSubscribers(runtime.services.subscribers, createReadStream(file), {
      course,
      dryRun: values['dry-run'] ?? false,
      sendConfirmations: values['send-confirmations'] ?? false,
      onProblem: (problem) => writeLine(err, `${clear}${formatRowProblem(problem)}`),
      // The total is estimated from the share of the file read so far (no counting pass over it
      // first), once enough of it was read for the estimate to mean something.
      onProgress: ({ rows, bytesRead }) =>
        bar.update(
          rows,
          bytesRead >= 64 * 1024 ? Math.max(rows, Math.round((rows * size) / bytesRead)) : undefined,
        ),
    })
    if (!result.ok) {
      writeLine(err, `${name}: ${result.message}\nNothing was changed.`)
      return EXIT.failed
    }
    bar.update(result.report.rows, result.report.rows)
    bar.finish()
    for (const line of describeImport(name, result.report)) writeLine(ctx.io.out, line)
    return result.report.skipped > 0 || result.report.stoppedAt ? EXIT.failed : EXIT.ok
  } finally {
    await runtime.close()
  }
}

async function exportCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true })
  const runtime = await ctx.open({ logLevel: 'warn', sends: false })
  try {
    const db = runtime.database.db
    const { countSubscribers, exportSubscribers } = await import('../subscribers/export')
    const bar = createProgress({ label: 'exporting', stream: ctx.io.err, total: await countSubscribers(db) })
    const onProgress = (written: number) => bar.update(written)
    if (values.out === undefined) {
      const written = await exportSubscribers(db, ctx.io.out, { onProgress })
      bar.finish()
      writeLine(ctx.io.err, `exported ${plural(written, 'subscriber')}`)
      return EXIT.ok
    }
    const target = path.resolve(ctx.io.cwd, values.out)
    // Written aside and renamed when complete, so a half-written file never looks like an export.
    // Readable by the owner only: it is personal data.
    const partial = `${target}.partial`
    const stream = createWriteStream(partial, { mode: 0o600 })
    // A write error surfaces through the next write or `finished`; the listener only keeps it from
    // being thrown as an uncaught 'error' event while a database page is being read.
    stream.on('error', () => {})
    try {
      await once(stream, 'open')
      const written = await exportSubscribers(db, stream, { onProgress })
      stream.end()
      await finished(stream)
      renameSync(partial, target)
      bar.finish()
      writeLine(ctx.io.out, `exported ${plural(written, 'subscriber')} to ${values.out}`)
      return EXIT.ok
    } catch (error) {
      stream.destroy()
      rmSync(partial, { force: true })
      if (!(error as NodeJS.ErrnoException).code) throw error
      writeLine(ctx.io.err, `cannot write ${values.out}: ${(error as Error).message}`)
      return EXIT.failed
    }
  } finally {
    await runtime.close()
  }
}

/** Unsubscribes one person by address: how the operator honours a request sent to the List-Unsubscribe mailto. */
async function unsubscribeCommand(args: string[], ctx: CliContext): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true })
  const email = onePositional(positionals, 'address: course subscribers unsubscribe <email>')
  const runtime = await ctx.open({ logLevel: 'warn', sends: false })
  try {
    const subscriber = await findSubscriberByKey(runtime.database.db, addressKey(email))
    if (!subscriber) {
      writeLine(ctx.io.err, `no subscriber with the address ${email}`)
      return EXIT.failed
    }
    const after = await unsubscribe(runtime.services.subscribers, subscriber.id, 'cli')
    const now = runtime.services.subscribers.clock.now()
    await recordAudit(
      runtime.database.db,
      { actor: cliActor(), action: 'subscriber.unsubscribe', subscriberId: subscriber.id },
      now,
    )
    writeLine(ctx.io.out, `${email}: ${after?.status ?? subscriber.status}; no more mail will be sent`)
    return EXIT.ok
  } finally {
    await runtime.close()
  }
}

async function showCommand(args: string[], ctx: CliContext): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true })
  const email = onePositional(positionals, 'address: course subscribers show <email>')
  const runtime = await ctx.open({ logLevel: 'warn', sends: false })
  try {
    const lookup = await readSubscriberRecord(runtime.database.db, addressKey(email))
    if (!lookup.found) {
      writeLine(
        ctx.io.err,
        lookup.erased
          ? `no subscriber with the address ${email}: it was erased on request, and only a salted hash of it is kept (so it is never mailed again)`
          : `no subscriber with the address ${email}`,
      )
      return EXIT.failed
    }
    const now = runtime.services.subscribers.clock.now()
    const subscriberId = lookup.record.subscriber.id
    await recordAudit(
      runtime.database.db,
      { actor: cliActor(), action: 'subscriber.show', subscriberId },
      now,
    )
    writeLine(ctx.io.out, JSON.stringify(lookup.record, null, 2))
    return EXIT.ok
  } finally {
    await runtime.close()
  }
}

async function eraseCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { yes: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  })
  const email = onePositional(positionals, 'address: course subscribers erase <email>')
  const key = addressKey(email)
  const runtime = await ctx.open({ logLevel: 'warn', sends: false })
  try {
    const db = runtime.database.db
    const lookup = await readSubscriberRecord(db, key)
    if (!lookup.found) {
      writeLine(
        ctx.io.err,
        `no subscriber with the address ${email}${lookup.erased ? ' (it was erased already)' : ''}`,
      )
      return EXIT.failed
    }
    const { subscriber, enrolments, deliveries, emailEvents } = lookup.record
    if (!values.yes) {
      const answer = await confirmOnTerminal(
        ctx.io,
        `Erase ${subscriber.email} (${subscriber.status}) with ${plural(enrolments.length, 'enrolment')}, ${plural(deliveries.length, 'delivery', 'deliveries')} and ${plural(emailEvents.length, 'email event')}? This cannot be undone.`,
      )
      if (answer === null) {
        writeLine(
          ctx.io.err,
          'refusing to erase without confirmation: there is no terminal to ask on. Add --yes to confirm in a script.',
        )
        return EXIT.refused
      }
      if (!answer) {
        writeLine(ctx.io.err, 'nothing erased.')
        return EXIT.refused
      }
    }
    const erased = await eraseSubscriber(db, key, runtime.services.subscribers.clock.now())
    if (!erased) {
      writeLine(ctx.io.err, `no subscriber with the address ${email} any more (erased meanwhile?)`)
      return EXIT.failed
    }
    const { enrolments: e, deliveries: d, emailEvents: ev } = erased
    await recordAudit(
      db,
      {
        actor: cliActor(),
        action: 'subscriber.erase',
        subscriberId: subscriber.id,
        detail: { enrolments: e, deliveries: d, emailEvents: ev },
      },
      runtime.services.subscribers.clock.now(),
    )
    writeLine(
      ctx.io.out,
      `erased ${erased.email}: the subscriber record, ${plural(erased.enrolments, 'enrolment')}, ${plural(erased.deliveries, 'delivery', 'deliveries')} and ${plural(erased.emailEvents, 'email event')}. ` +
        'Only a salted hash of the address is kept, so it is never mailed again unless they subscribe anew.',
    )
    writeLine(
      ctx.io.out,
      'Not touched: copies outside the database (earlier exports, the outbox folder, logs, the provider’s own logs).',
    )
    return EXIT.ok
  } finally {
    await runtime.close()
  }
}

/** The lookup key of an address given on the command line, or a usage error saying what is wrong with it. */
function addressKey(email: string): string {
  const checked = checkEmail(email)
  if (!checked.ok) throw new UsageError(`${email}: ${checked.message}`)
  return checked.key
}
