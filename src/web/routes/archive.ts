import type { Context, Hono } from 'hono'
import type { Content } from '../../content/catalog'
import { formatDateLabel } from '../../content/compile'
import { escapeHtml } from '../../content/personalize'
import type { Newsletter } from '../../content/types'
import { renderWebVersion } from '../../content/web-version'
import { urls } from '../../lib/links'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'
import { EMAIL_CSP } from '../security'

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

/** GET /archive, /lessons/<slug>, /newsletters/<slug> (the emails' web versions, no personal data) and /feed.xml. */
export function archiveRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName
  const base = deps.config.baseUrl

  app.get('/archive', (c) => {
    const content = deps.content()
    const issues = publishedNewsletters(content, deps.clock.now())
    return c.html(
      page({
        title: 'Archive',
        siteName: site,
        body: html`<h1>Archive</h1>
<h2>Newsletter issues</h2>
${issues.length === 0 ? html`<p>No issues yet.</p>` : html`<ul>${issues.map((issue) => html`<li><a href="/newsletters/${issue.slug}">${issue.title}</a> <span class="muted">${formatDateLabel(issue.date)}</span></li>`)}</ul>`}
<h2>The course</h2>
<ol class="lessons">${content.lessons.map((lesson) => html`<li><a href="/lessons/${lesson.slug}">${lesson.title}</a></li>`)}</ol>
<p><a href="/feed.xml">Subscribe to the newsletter feed</a> or <a href="/">get the course by email</a>.</p>`,
      }),
    )
  })

  const webVersion = (kind: 'lesson' | 'newsletter') => (c: Context) => {
    const content = deps.content()
    const slug = c.req.param('slug') ?? ''
    const visible =
      kind === 'lesson'
        ? content.lesson(slug)
        : publishedNewsletters(content, deps.clock.now()).find((issue) => issue.slug === slug)
    const compiled = visible ? content.compiled(kind, slug) : undefined
    if (!compiled)
      return c.html(messagePage(site, 'Not found', 'There is no such email in the archive.'), 404)
    c.header('Content-Security-Policy', EMAIL_CSP)
    return c.html(renderWebVersion(base, compiled).html)
  }
  app.get('/lessons/:slug', webVersion('lesson'))
  app.get('/newsletters/:slug', webVersion('newsletter'))

  app.get('/feed.xml', (c) =>
    c.body(atomFeed(deps.content(), base, site, deps.clock.now()), 200, {
      'Content-Type': 'application/atom+xml; charset=utf-8',
    }),
  )
}
