import type { CourseRef, StatsReport } from '../../stats/report'
import { OPENS_CAVEAT, type StatsTable, type StatsTableName, statsTable } from '../../stats/tables'
import { html, type SafeHtml } from '../html'
import { dailyChart, funnelChart } from './charts'

/** Where the dashboard's CSV exports are served (same authentication as the page). */
export const CSV_PATH = '/admin/stats.csv'

function tableHtml(name: StatsTableName, table: StatsTable): SafeHtml {
  const numeric = table.columns.map(
    (_, i) => table.rows.length > 0 && table.rows.every((r) => typeof r[i] === 'number'),
  )
  const cls = (i: number) => (numeric[i] ? html` class="num"` : '')
  return html`<h2 id="${name}">${table.title}</h2>
<div class="scroll"><table>
<thead><tr>${table.columns.map((c, i) => html`<th scope="col"${cls(i)}>${c.label}</th>`)}</tr></thead>
<tbody>${
    table.rows.length === 0
      ? html`<tr><td colspan="${table.columns.length}" class="muted">Nothing yet.</td></tr>`
      : table.rows.map((row) => html`<tr>${row.map((cell, i) => html`<td${cls(i)}>${cell}</td>`)}</tr>`)
  }</tbody>
</table></div>
<p class="muted"><a href="${CSV_PATH}?table=${name}" download>Download as CSV</a></p>`
}

/**
 * The dashboard's content: pictures where people would rather look (the funnel, the daily signups),
 * tables for the exact figures (each downloadable as CSV), and the caveat about opens next to them.
 */
export function dashboardBody(report: StatsReport, courses: readonly CourseRef[]): SafeHtml {
  const t = (name: StatsTableName) => tableHtml(name, statsTable(report, name))
  const shown = report.courses.length === 1 && courses.length > 1 ? report.courses[0]?.slug : undefined
  const funnels = report.courses.map(
    (course) => html`<h3>${course.title}</h3>
<figure>${funnelChart(
      report.funnel.filter((step) => step.course === course.slug),
      `funnel-${course.slug}`,
      `${course.title}: people reaching each step`,
    )}</figure>`,
  )
  return html`<h1>Course dashboard</h1>
<p class="muted">Figures at ${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC. <a href="/admin/stats.json">All figures as JSON</a>.</p>
${t('subscribers')}
<h2>Signups per day</h2>
<figure>${dailyChart(report.daily)}</figure>
<form method="get" action="/admin" class="muted">
<label for="days">Days shown</label>
<select id="days" name="days">${[7, 30, 90, 365].map((d) => html`<option value="${d}"${d === report.range.days ? html` selected` : ''}>${d} days</option>`)}</select>
${
  courses.length > 1
    ? html`<label for="course">Course</label>
<select id="course" name="course"><option value="">Every course</option>${courses.map((c) => html`<option value="${c.slug}"${c.slug === shown ? html` selected` : ''}>${c.title}</option>`)}</select>`
    : ''
}
<button type="submit" class="secondary">Show</button>
</form>
${t('daily')}
<h2>${report.courses.length === 1 ? 'Course funnel' : 'Course funnels'}</h2>
${funnels}
${t('funnel')}
<p class="notice">* ${OPENS_CAVEAT}</p>
${t('lessons')}
${t('newsletters')}
<p class="muted">"Unsubscribed after" counts people whose last email before they unsubscribed was this one. Bounced and complained count emails the provider reported; those people get no more mail.</p>
<form method="post" action="/admin/logout"><button type="submit" class="secondary">Log out</button></form>`
}
