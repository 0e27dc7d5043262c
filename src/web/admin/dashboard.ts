import { COMPLAINT_LIMIT, COMPLAINT_TARGET, change, type Overview } from '../../stats/overview'
import type { CourseRef, StatsReport } from '../../stats/report'
import { OPENS_CAVEAT, percent, type StatsTableName, statsTable } from '../../stats/tables'
import { html, type SafeHtml } from '../html'
import { dailyChart, funnelList, rateChart } from './charts'
import { count, dataTable } from './layout'

/** Where the figures' CSV exports are served (same authentication as the pages). */
export const CSV_PATH = '/admin/stats.csv'

/** The exact figures behind a picture: one click away, and downloadable as CSV. */
export function figuresTable(
  report: StatsReport,
  name: StatsTableName,
  filter?: (row: (string | number)[]) => boolean,
) {
  const table = statsTable(report, name)
  const rows = filter ? table.rows.filter(filter) : table.rows
  const numeric = table.columns.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'))
  return html`<details class="figures-table"><summary>${table.title}: the figures</summary>
${dataTable(
  table.columns.map((c, i) => ({ label: c.label, numeric: numeric[i] })),
  rows,
  { caption: table.title },
)}
<p><a href="${CSV_PATH}?table=${name}&amp;days=${report.range.days}" download>Download as CSV</a></p>
</details>`
}

const STATE_LABELS: Record<string, string> = {
  pending: 'Waiting to confirm',
  confirmed: 'Confirmed',
  unsubscribed: 'Unsubscribed',
  bounced: 'Bounced',
  complained: 'Complained',
}

function weekFigure(label: string, now: number, before: number): SafeHtml {
  return html`<div><dt>${label}</dt><dd>${count(now)}<small>last week ${count(before)} (${change(now, before)})</small></dd></div>`
}

/**
 * The overview: headline numbers first (readers by state, this week against last, emails sent today,
 * bounces and complaints against the providers' line), then a compact signups chart and each course's
 * funnel. The tables of figures sit folded under their picture, each downloadable as CSV.
 */
export function overviewBody(
  overview: Overview,
  report: StatsReport,
  courses: readonly CourseRef[],
): SafeHtml {
  const { recent } = overview
  const kinds = Object.entries(overview.sentTodayByKind)
  const signups = report.daily.reduce((sum, d) => sum + d.signups, 0)
  const confirmations = report.daily.reduce((sum, d) => sum + d.confirmations, 0)
  const shown = report.courses.length === 1 && courses.length > 1 ? report.courses[0]?.slug : undefined
  return html`<h1>Course dashboard</h1>
<p class="muted">Figures at ${overview.generatedAt.slice(0, 16).replace('T', ' ')} UTC. <a href="/admin/stats.json">All figures as JSON</a>.</p>
<h2 id="readers-heading">Readers</h2>
<dl class="figures" aria-labelledby="readers-heading">${overview.readers.map(
    (r) =>
      html`<div><dt>${STATE_LABELS[r.status] ?? r.status}</dt><dd><a href="/admin/readers?state=${r.status}">${count(r.count)}</a></dd></div>`,
  )}</dl>
${figuresTable(report, 'subscribers')}
<h2 id="week-heading">This week</h2>
<dl class="figures" aria-labelledby="week-heading">
${weekFigure('Signups, last 7 days', overview.thisWeek.signups, overview.lastWeek.signups)}
${weekFigure('Confirmations, last 7 days', overview.thisWeek.confirmations, overview.lastWeek.confirmations)}
<div><dt>Emails sent today (UTC)</dt><dd>${count(overview.sentToday)}<small>${kinds.length === 0 ? 'none yet' : kinds.map(([kind, n]) => `${kind} ${count(n)}`).join(', ')}</small></dd></div>
</dl>
<h2 id="rates-heading">Bounces and complaints</h2>
<dl class="figures" aria-labelledby="rates-heading">
<div><dt>Sent, last ${recent.days} days</dt><dd>${count(recent.sent)}</dd></div>
<div><dt>Bounced</dt><dd>${count(recent.bounced)}<small>${percent(recent.bounceRate)} of those sent</small></dd></div>
<div><dt>Complaints</dt><dd>${count(recent.complained)}<small>${(recent.complaintRate * 100).toFixed(2)} % of those sent</small></dd></div>
</dl>
<figure>${rateChart('complaints', 'Complaint rate against the Gmail and Yahoo lines', recent.complaintRate, [
    { at: COMPLAINT_TARGET, label: '0.1 % aim' },
    { at: COMPLAINT_LIMIT, label: '0.3 % limit' },
  ])}
<figcaption class="muted">Gmail and Yahoo ask bulk senders to keep complaints under 0.1 % and never reach 0.3 %.${
    recent.complaintRate >= COMPLAINT_LIMIT
      ? html` <strong class="error">Over the 0.3 % limit: mail from this domain is at risk of going to spam.</strong>`
      : ''
  }</figcaption></figure>
<h2>Signups per day</h2>
<form method="get" action="/admin" class="filters">
<div><label for="days">Days shown</label>
<select id="days" name="days">${[7, 30, 90, 365].map((d) => html`<option value="${d}"${d === report.range.days ? html` selected` : ''}>${d} days</option>`)}</select></div>
${
  courses.length > 1
    ? html`<div><label for="course">Course</label>
<select id="course" name="course"><option value="">Every course</option>${courses.map((c) => html`<option value="${c.slug}"${c.slug === shown ? html` selected` : ''}>${c.title}</option>`)}</select></div>`
    : ''
}
<div><button type="submit" class="secondary">Show</button></div>
</form>
<figure class="wide-only">${dailyChart(report.daily)}</figure>
<p class="narrow-only">${report.range.from} to ${report.range.to}: ${count(signups)} signups, ${count(confirmations)} confirmations.</p>
${figuresTable(report, 'daily')}
<h2>${report.courses.length === 1 ? 'Course funnel' : 'Course funnels'}</h2>
${report.courses.map(
  (course) => html`<h3>${course.title}</h3>
${funnelList(
  report.funnel.filter((step) => step.course === course.slug),
  `${course.title}: people reaching each step`,
)}
<p class="muted"><a href="/admin/courses#course-${course.slug}">Each lesson's figures</a></p>`,
)}
${figuresTable(report, 'funnel')}
<p class="muted">* ${OPENS_CAVEAT}</p>`
}
