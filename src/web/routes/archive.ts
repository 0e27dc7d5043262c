import type { Context, Hono } from 'hono'
import type { Content } from '../../content/catalog'
import { formatDateLabel } from '../../content/dates'
import { escapeHtml } from '../../content/personalize'
import type { Course, Newsletter } from '../../content/types'
import { urls } from '../../lib/links'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'
import { markdownHtml } from '../markdown'
import { issuePage, lessonPage, type ReadingContext } from '../pages/reading'

/** Issues whose date has come (UTC), newest first. Future-dated issues are not public yet. */
export function publishedNewsletters(content: Content, now: Date): Newsletter[] {
  const today = now.toISOString().slice(0, 10)
  return content.newsletters
    .filter((issue) => issue.date <= today)
    .sort((a, b) => b.date.localeCompare(a.date) || a.slug.localeCompare(b.slug))
}

/** An Atom feed (RFC 4287) of the published newsletter issues. */
export function atomFeed(content: Content, baseUrl: string, siteName: string, now: Date): string {
  const issues = publishedNewsletters(content, now)
  const updated = issues[0] ? `${issues[0].date}T00:00:00Z` : new Date(0).toISOString()
  const x = escapeHtml
  const entries = issues.map((issue) => {
    const link = urls.newsletter(baseUrl, issue.slug)
    return `  <entry>
    <id>${x(link)}</id>
    <title>${x(issue.title)}</title>
    <link rel="alternate" type="text/html" href="${x(link)}"/>
    <updated>${issue.date}T00:00:00Z</updated>
    <published>${issue.date}T00:00:00Z</published>
    <summary>${x(issue.preview)}</summary>
    <content type="html">${x(markdownHtml(issue.markdown).toString())}</content>
  </entry>`
  })
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${x(urls.feed(baseUrl))}</id>
  <title>${x(siteName)}: newsletter</title>
  <link rel="self" type="application/atom+xml" href="${x(urls.feed(baseUrl))}"/>
  <link rel="alternate" type="text/html" href="${x(urls.archive(baseUrl))}"/>
  <updated>${updated}</updated>
  <author><name>${x(siteName)}</name></author>
${entries.join('\n')}
</feed>
`
}

/** An Atom feed of one course's lessons, in course order. */
export function courseFeed(course: Course, baseUrl: string, updated: Date): string {
  const x = escapeHtml
  const entries = course.lessons.map((lesson) => {
    const link = urls.lesson(baseUrl, course.slug, lesson.slug)
    return `  <entry>
    <id>${x(link)}</id>
    <title>${x(lesson.title)}</title>
    <link rel="alternate" type="text/html" href="${x(link)}"/>
    <updated>${updated.toISOString()}</updated>
    <summary>${x(lesson.preview)}</summary>
    <content type="html">${x(markdownHtml(lesson.markdown).toString())}</content>
  </entry>`
  })
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${x(urls.courseFeed(baseUrl, course.slug))}</id>
  <title>${x(course.title)}</title>
  <subtitle>${x(course.description)}</subtitle>
  <link rel="self" type="application/atom+xml" href="${x(urls.courseFeed(baseUrl, course.slug))}"/>
  <link rel="alternate" type="text/html" href="${x(urls.course(baseUrl, course.slug))}"/>
  <updated>${updated.toISOString()}</updated>
  <author><name>${x(course.author ?? course.title)}</name></author>
${entries.join('\n')}
</feed>
`
}

/**
 * GET /archive, /courses/<course>/lessons/<slug>, /newsletters/<slug> (the emails' web versions, no
 * personal data), /feed.xml (newsletter issues) and /courses/<course>/feed.xml (a course's lessons).
 * /lessons/<slug>, the address of lessons before courses had names, leads to the lesson it meant.
 */
export function archiveRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName
  const base = deps.config.baseUrl
  const notFound = (c: Context) =>
    c.html(messagePage(site, 'Not found', 'There is no such email in the archive.'), 404)

  app.get('/archive', (c) => {
    const content = deps.content()
    const issues = publishedNewsletters(content, deps.clock.now())
    return c.html(
      page({
        title: 'Archive',
        siteName: site,
        body: html`<h1>Archive</h1>
${content.courses.map(
  (course) => html`<h2 id="${course.slug}">${course.title}</h2>
<ol class="lessons">${course.lessons.map((lesson) => html`<li><a href="/courses/${course.slug}/lessons/${lesson.slug}">${lesson.title}</a></li>`)}</ol>
<p class="muted"><a href="/courses/${course.slug}">Get “${course.title}” by email</a> · <a href="/courses/${course.slug}/feed.xml">its feed</a></p>`,
)}
<h2>Newsletter issues</h2>
${issues.length === 0 ? html`<p>No issues yet.</p>` : html`<ul>${issues.map((issue) => html`<li><a href="/newsletters/${issue.slug}">${issue.title}</a> <span class="muted">${formatDateLabel(issue.date)}</span></li>`)}</ul>`}
<p><a href="/feed.xml">Subscribe to the newsletter feed</a>.</p>`,
      }),
    )
  })

  const reading = (c: Context): ReadingContext => ({
    siteName: site,
    baseUrl: base,
    fromEmail: c.req.query('from') === 'email',
  })
  app.get('/courses/:course/lessons/:slug', (c) => {
    const content = deps.content()
    const course = content.course(c.req.param('course'))
    const lesson = course?.lessons.find((one) => one.slug === c.req.param('slug'))
    if (!course || !lesson) return notFound(c)
    return c.html(lessonPage(reading(c), course, lesson))
  })
  app.get('/lessons/:slug', (c) => {
    const slug = c.req.param('slug')
    const matches = deps
      .content()
      .courses.filter((course) => course.lessons.some((lesson) => lesson.slug === slug))
    if (matches.length !== 1) return notFound(c)
    return c.redirect(`/courses/${matches[0]!.slug}/lessons/${slug}`, 301)
  })
  app.get('/newsletters/:slug', (c) => {
    const slug = c.req.param('slug')
    const published = publishedNewsletters(deps.content(), deps.clock.now())
    const issue = published.find((one) => one.slug === slug)
    if (!issue) return notFound(c)
    return c.html(issuePage(reading(c), issue, published))
  })

  app.get('/feed.xml', (c) =>
    c.body(atomFeed(deps.content(), base, site, deps.clock.now()), 200, {
      'Content-Type': 'application/atom+xml; charset=utf-8',
    }),
  )
  app.get('/courses/:course/feed.xml', (c) => {
    const course = deps.content().course(c.req.param('course'))
    if (!course) return notFound(c)
    return c.body(courseFeed(course, base, deps.clock.now()), 200, {
      'Content-Type': 'application/atom+xml; charset=utf-8',
    })
  })
}
