import type { ImportReport } from '../subscribers/import'

/** What `course subscribers import` says it did (or would do, in a dry run). */

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

export function describeImport(file: string, r: ImportReport): string[] {
  const would = r.dryRun ? 'would ' : ''
  const created = r.createdConfirmed + r.createdPending
  const lines = [
    `${r.dryRun ? 'dry run of' : 'imported'} ${file}${r.dryRun ? ', nothing written' : ''}: ${plural(r.rows, 'row')}; ` +
      `${would}create ${created} (${r.createdConfirmed} confirmed and enrolled, ${r.createdPending} pending), ` +
      `${would}update ${r.updated}, ${r.dryRun ? 'would leave' : 'left'} ${r.unchanged} unchanged, ` +
      `${would}skip ${r.skipped}${r.skipped > 0 ? ' (listed above)' : ''}.`,
  ]
  if (r.lessonsQueued + r.confirmationsQueued > 0)
    lines.push(
      `${r.dryRun ? 'would queue' : 'queued'} ${plural(r.lessonsQueued, 'first lesson')} and ${plural(r.confirmationsQueued, 'confirmation email')}; ` +
        'the scheduler (npm start, course worker or course run-due) sends them.',
    )
  if (r.createdPending > 0 && r.confirmationsQueued === 0)
    lines.push(
      `${plural(r.createdPending, 'new pending person', 'new pending people')} ${r.dryRun ? 'would get' : 'got'} no email (no proof of consent, and no --send-confirmations).`,
    )
  if (r.stoppedAt)
    lines.push(
      `reading stopped at line ${r.stoppedAt.line}: fix the file and import it again (rows already imported are updated, not duplicated).`,
    )
  return lines
}
