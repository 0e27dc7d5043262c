import type { Hono } from 'hono'
import type { Course } from '../../content/types'
import { countEnrolments } from '../../course/progress'
import { readStats } from '../../stats/report'
import { html } from '../html'
import { type Admin, adminPage, count, dataTable } from './layout'

/** A course's pacing in words, with its dates. */
export function describePacing(course: Pick<Course, 'pacing'>): string {
  const p = course.pacing
  const now = p.nextNow ? '; every lesson offers "Send me the next lesson now"' : ''
  switch (p.mode) {
    case 'evergreen':
      return `Evergreen: day 0 is each reader's own start${now}.`
    case 'self-paced':
      return 'Self-paced: day 0 is each reader\'s own start, and every lesson offers "Send me the next lesson now".'
    case 'cohort':
      return (
        `Cohort: day 0 is ${p.starts ?? '?'} for everyone` +
        (p.closes ? `; signups close on ${p.closes}` : '') +
        (p.nextStarts ? `; later signups join the group starting ${p.nextStarts}` : '') +
        `${now}.`
      )
  }
}

/**
 * GET /admin/courses: each course with its pacing, its readers by state, and each lesson with the
 * emails sent, delivered, clicked and the readers who unsubscribed right after it.
 */
export function courseRoutes(app: Hono, admin: Admin): void {
  app.get('/admin/courses', async (c) => {
    const content = admin.deps.content()
    const [report, enrolments] = await Promise.all([
      readStats(admin.deps.db, content, admin.now(), { days: 7 }),
      countEnrolments(admin.deps.db),
    ])
    const sections = content.courses.map((course) => {
      const states = enrolments.filter((e) => e.course === course.slug)
      const lessons = report.lessons
        .filter((l) => l.course === course.slug)
        .map((l) => [
          l.day === null ? '—' : l.day,
          l.title,
          l.sent,
          l.delivered,
          l.clicked,
          l.unsubscribedAfter,
        ])
      return html`<section aria-labelledby="course-${course.slug}">
<h2 id="course-${course.slug}">${course.title}</h2>
<p class="muted"><code>lessons/${course.slug}/</code> · ${describePacing(course)}</p>
<dl class="figures">${
        states.length === 0
          ? html`<div><dt>Readers</dt><dd>0</dd></div>`
          : states.map((e) => html`<div><dt>${e.status}</dt><dd>${count(e.n)}</dd></div>`)
      }</dl>
${dataTable(
  [
    { label: 'Day', numeric: true },
    { label: 'Lesson' },
    { label: 'Sent', numeric: true },
    { label: 'Delivered', numeric: true },
    { label: 'Clicked', numeric: true },
    { label: 'Unsubscribed after', numeric: true },
  ],
  lessons,
  { caption: `${course.title}: lessons` },
)}
<p><a href="/admin/readers?course=${course.slug}">Its readers</a> · <a href="/courses/${course.slug}">Its signup page</a></p>
</section>`
    })
    return c.html(
      adminPage({
        site: admin.site,
        title: 'Courses',
        section: 'courses',
        body: html`<h1>Courses</h1>
<p class="muted">Courses are folders of Markdown lessons; edit them there (<code>npm run build</code> checks them). "Unsubscribed after" counts readers whose last email before they left was that lesson. A lesson no longer in the content is shown with day "—".</p>
${sections}
<p><a href="/admin/stats.csv?table=lessons" download>Every lesson's figures as CSV</a> (opens too, which are unreliable).</p>`,
      }),
    )
  })
}
