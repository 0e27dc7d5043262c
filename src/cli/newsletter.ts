import { parseArgs } from 'node:util'
import { cliActor, recordAudit } from '../audit/log'
import { renderWebVersion } from '../content/web-version'
import { issueProgress } from '../delivery/store/reads'
import { systemClock } from '../lib/clock'
import { maskEmail } from '../lib/logger'
import { deliverIssue, planIssueSend, sendTestCopy } from '../newsletters/issue'
import {
  findIssueSend,
  listIssueSends,
  measureAudience,
  scheduleIssue,
  startIssue,
} from '../newsletters/sends'
import { checkEmail } from '../subscribers/validate'
import type { CliContext } from './context'
import { EXIT, UsageError, writeLine } from './io'
import { createProgress } from './progress'
import { confirmOnTerminal } from './prompt'
import { parseInstant } from './run-due'

export const newsletterUsage =
  'course newsletter send <slug> [--at ISO] [--test-to ADDRESS] [--dry-run] [--yes] [--resend-to-new]\n' +
  'course newsletter list                       issues and their send state'

const options = {
  at: { type: 'string' },
  'test-to': { type: 'string' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean' },
  'resend-to-new': { type: 'boolean' },
} as const

/** `course newsletter …` */
export async function newsletterCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'list') return listIssues(ctx)
  if (sub !== 'send') throw new UsageError(`unknown newsletter command "${sub ?? ''}" (send, list)`)
  const { values, positionals } = parseArgs({ args: rest, options, allowPositionals: true, strict: true })
  const slug = positionals[0]
  if (!slug || positionals.length > 1)
    throw new UsageError('give exactly one issue slug: course newsletter send <slug>')
  const at = values.at === undefined ? undefined : parseInstant(values.at, '--at')
  const runtime = await ctx.open({ logLevel: 'warn' })
  try {
    const { db } = runtime.database
    const content = runtime.content.current
    const issue = content.newsletter(slug)
    const compiled = content.compiled('newsletter', null, slug)
    if (!issue || !compiled) {
      const known = content.newsletters.map((n) => n.slug).join(', ') || '(none)'
      throw new UsageError(
        `no newsletter issue "${slug}" in ${ctx.config().newslettersDir} (known: ${known})`,
      )
    }
    const config = ctx.config()
    const out = ctx.io.out

    if (values['test-to'] !== undefined) {
      const checked = checkEmail(values['test-to'])
      if (!checked.ok) throw new UsageError(`--test-to: ${checked.message}`)
      const result = await sendTestCopy(
        runtime.services.mailer,
        compiled,
        { baseUrl: config.baseUrl, from: config.mail.from },
        checked.email,
      )
      if (!result.ok) {
        writeLine(ctx.io.err, `test send failed: ${result.code}: ${result.message}`)
        return EXIT.failed
      }
      const to = maskEmail(checked.email)
      await recordAudit(
        db,
        { actor: cliActor(), action: 'newsletter.test', target: slug, detail: { to } },
        systemClock.now(),
      )
      writeLine(
        out,
        `sent one [TEST] copy of "${issue.title}" to ${checked.email} (${result.providerId}); nobody else got anything`,
      )
      return EXIT.ok
    }

    // With --resend-to-new, only readers who never got the issue are queued: count those, not everyone.
    const onlyNew = values['resend-to-new'] === true
    const audience = await measureAudience(db, slug)
    const recipients = onlyNew ? audience.unsent : audience.eligible
    if (values['dry-run']) {
      const existing = await findIssueSend(db, slug)
      writeLine(
        out,
        `"${issue.title}" (${slug}) would go to ${recipients} subscriber(s) now (confirmed, newsletter on${onlyNew ? ', never got it' : ''}).`,
      )
      if (existing)
        writeLine(
          out,
          `note: this issue is already ${existing.status} (${existing.recipients} queued so far).`,
        )
      writeLine(out, `subject: ${compiled.subject}`)
      writeLine(out, '--- sample (text part, as a reader named "there" would get it) ---')
      writeLine(out, renderWebVersion(config.baseUrl, compiled).text.split('\n').slice(0, 40).join('\n'))
      return EXIT.ok
    }

    const plan = planIssueSend(slug, await findIssueSend(db, slug), onlyNew)
    if ('refuse' in plan) {
      writeLine(ctx.io.err, `refusing: ${plan.refuse}`)
      return EXIT.refused
    }
    const resume = plan.start === 'resume'
    if (!values.yes && !resume) {
      const verb = at
        ? `Schedule "${issue.title}" for ${at.toISOString()}`
        : `Send "${issue.title}" to ${recipients} subscriber(s) now`
      const answer = await confirmOnTerminal(
        ctx.io,
        `${verb}${onlyNew ? ' (only those who never got it)' : ''}?`,
      )
      if (answer === null) {
        writeLine(
          ctx.io.err,
          'refusing to send without confirmation: there is no terminal to ask on. Add --yes to confirm in a script.',
        )
        return EXIT.refused
      }
      if (!answer) {
        writeLine(ctx.io.err, 'not sent.')
        return EXIT.refused
      }
    }
    const now = systemClock.now()
    if (!resume) await scheduleIssue(db, slug, at ?? now, now)
    const later = at && at > now
    await recordAudit(
      db,
      later
        ? {
            actor: cliActor(),
            action: 'newsletter.schedule',
            target: slug,
            detail: { at: at.toISOString(), again: onlyNew },
          }
        : { actor: cliActor(), action: 'newsletter.send', target: slug, detail: { again: onlyNew } },
      now,
    )
    if (at && at > now) {
      writeLine(
        out,
        `scheduled "${issue.title}" for ${at.toISOString()}: the scheduler (npm start or course worker) sends it then, to whoever wants it at that time.`,
      )
      return EXIT.ok
    }
    if (resume) writeLine(out, `"${slug}" was being sent: resuming with the rest only.`)
    // The queueing walks the whole audience (`seen`), whoever of it is new.
    const queuing = createProgress({ label: 'queueing', stream: ctx.io.err, total: audience.eligible })
    await startIssue(db, slug, now, (_queued, seen) => queuing.update(seen))
    queuing.finish()
    // Awaited here: the finally below closes the database only once the send is over.
    return await sendIssue(ctx, runtime, slug)
  } finally {
    await runtime.close()
  }
}

/** Sends the issue's queued deliveries with a progress bar, then prints sent / skipped / failed with reasons. */
async function sendIssue(
  ctx: CliContext,
  runtime: Awaited<ReturnType<CliContext['open']>>,
  slug: string,
): Promise<number> {
  const { db } = runtime.database
  const before = await issueProgress(db, slug)
  const bar = createProgress({ label: 'sending', stream: ctx.io.err, total: before.queued + before.claimed })
  const { after: end, report } = await deliverIssue(
    db,
    runtime.services.sender,
    slug,
    () => systemClock.now(),
    (r) => bar.update(r.sent + r.failed + r.skipped),
  )
  bar.finish()
  const done0 = before.sent + before.failed + before.skipped
  const out = ctx.io.out
  writeLine(
    out,
    `"${slug}": ${end.sent} sent, ${end.skipped} skipped, ${end.failed} failed${done0 > 0 ? ` (${done0} were done before this run)` : ''}.`,
  )
  for (const reason of end.reasons) writeLine(out, `  ${reason.status} ${reason.count}: ${reason.reason}`)
  const waiting = end.queued + end.claimed
  if (waiting > 0)
    writeLine(out, `  ${waiting} still waiting (retries or held for a lesson day); the scheduler sends them.`)
  if (report.paused)
    writeLine(
      ctx.io.err,
      `sending is paused until ${report.paused.until.toISOString()}: ${report.paused.reason ?? ''}`,
    )
  return end.failed > 0 || report.paused ? EXIT.failed : EXIT.ok
}

async function listIssues(ctx: CliContext): Promise<number> {
  const runtime = await ctx.open({ logLevel: 'warn' })
  try {
    const sends = await listIssueSends(runtime.database.db)
    for (const issue of runtime.content.current.newsletters) {
      const send = sends.get(issue.slug)
      writeLine(
        ctx.io.out,
        `${issue.date}  ${issue.slug.padEnd(32)} ${send ? `${send.status} (${send.recipients} recipients)` : 'not sent'}`,
      )
    }
    return EXIT.ok
  } finally {
    await runtime.close()
  }
}
