import type { Context, Hono } from 'hono'
import type { Content } from '../../content/catalog'
import { type CompiledEmail, personalize } from '../../content/personalize'
import { sampleValues } from '../../content/sample-values'
import { formatProblem } from '../../content/types'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'
import { EMAIL_CSP } from '../security'

type Kind = CompiledEmail['kind']
const KINDS: readonly Kind[] = ['lesson', 'confirmation', 'invitation', 'newsletter']

/** Every compiled email, in the order an author reads them: each course's lessons, its asks, then issues. */
function allEmails(content: Content): CompiledEmail[] {
  return [
    ...content.courses.flatMap((course) => [
      ...course.lessons.map((lesson) => content.compiled('lesson', course.slug, lesson.slug)),
      content.compiled('confirmation', course.slug, null),
      content.compiled('invitation', course.slug, null),
    ]),
    ...content.newsletters.map((issue) => content.compiled('newsletter', null, issue.slug)),
  ].filter((email): email is CompiledEmail => email !== undefined)
}

const query = (email: CompiledEmail) =>
  `?kind=${email.kind}${email.course ? `&course=${encodeURIComponent(email.course)}` : ''}&slug=${encodeURIComponent(email.slug)}`

/** The email a request names (kind, course, slug), compiled as the sender has it. */
function named(c: Context, content: Content): CompiledEmail | undefined {
  const kind = c.req.query('kind') as Kind
  if (!KINDS.includes(kind)) return undefined
  const course = c.req.query('course') ?? null
  const slug = c.req.query('slug') ?? ''
  return content.compiled(kind, course, kind === 'confirmation' || kind === 'invitation' ? null : slug)
}

/**
 * /dev/emails: every email of the content exactly as readers get it (compiled once, personalised for a
 * sample reader called Sam), with its subject, preview text and text part, at 600 and 375 px, light
 * and darkened (as mail apps in dark mode invert it), and the content's problems. Re-read when a file
 * changes. Development only: never in production.
 */
export function devEmailRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName
  if (deps.config.env === 'production') return
  const base = deps.config.baseUrl
  const personal = (email: CompiledEmail) =>
    personalize(email, sampleValues(base, email.course, email.slug, email.kind))

  app.get('/dev/emails', async (c) => {
    const { content, problems } = await deps.freshContent()
    const emails = allEmails(content)
    const group = (course: string | null) =>
      emails
        .filter((email) => email.course === course)
        .map(
          (email) =>
            html`<li><a href="/dev/emails/show${query(email)}">${email.subject}</a> <span class="meta"><span class="tag">${email.kind}</span>${email.preview}</span></li>`,
        )
    return c.html(
      page({
        title: 'Email previews',
        siteName: site,
        wide: true,
        body: html`<h1>Email previews</h1>
<p class="muted">Every email of the content, as a reader called Sam gets it. This page reads the files again when they change. <a href="/dev/inbox">Local inbox</a>.</p>
${
  problems.length > 0
    ? html`<section class="card" aria-labelledby="problems"><h2 id="problems">${problems.length} problem(s) in the content</h2>
<p>Until they are fixed, the emails below are the last good version (or left out).</p>
<ul>${problems.map((problem) => html`<li><code>${formatProblem(problem)}</code></li>`)}</ul></section>`
    : ''
}
${content.courses.map((course) => html`<h2>${course.title}</h2><ul class="inbox">${group(course.slug)}</ul>`)}
<h2>Newsletter issues</h2>
${content.newsletters.length === 0 ? html`<p class="muted">No issues yet.</p>` : html`<ul class="inbox">${group(null)}</ul>`}`,
      }),
    )
  })

  app.get('/dev/emails/html', async (c) => {
    const { content } = await deps.freshContent()
    const email = named(c, content)
    if (!email) return c.text('Not found', 404)
    c.header('Content-Security-Policy', EMAIL_CSP)
    c.header('X-Frame-Options', 'SAMEORIGIN')
    return c.html(personal(email).html)
  })

  app.get('/dev/emails/show', async (c) => {
    const { content, problems } = await deps.freshContent()
    const email = named(c, content)
    if (!email) return c.html(messagePage(site, 'No such email', 'It is not in the content (any more).'), 404)
    const filled = personal(email)
    const src = `/dev/emails/html${query(email)}`
    const frame = (width: 600 | 375, label: string) =>
      html`<figure class="w${width}"><figcaption class="muted">${label}</figcaption><iframe class="mail" title="${label}" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" src="${src}"></iframe></figure>`
    return c.html(
      page({
        title: email.subject,
        siteName: site,
        wide: true,
        script: 'dev',
        body: html`<p><a href="/dev/emails">← Email previews</a></p>
<h1>${filled.subject}</h1>
<p><span class="tag">${email.kind}</span>${email.course ?? ''} · Preview text: “${email.preview}”</p>
${problems.length > 0 ? html`<p class="error">The content has ${problems.length} problem(s): see <a href="/dev/emails">the list</a>.</p>` : ''}
<h2>Light</h2>
<div class="frames">${frame(600, 'Desktop, 600 px')}${frame(375, 'Phone, 375 px')}</div>
<h2>Darkened</h2>
<p class="muted">As mail apps that force dark mode show it (colours inverted).</p>
<div class="frames darkened">${frame(600, 'Desktop, 600 px, darkened')}${frame(375, 'Phone, 375 px, darkened')}</div>
<h2>Text part</h2>
<pre class="text">${filled.text}</pre>`,
      }),
    )
  })
}
