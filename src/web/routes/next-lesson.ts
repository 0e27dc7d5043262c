import type { Context, Hono } from 'hono'
import { verifyToken } from '../../lib/links'
import { nextLessonFromLink } from '../../subscribers/confirm'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'

const BAD_LINK = 'This link is not valid. Please use the complete link from one of your lessons.'

async function fields(c: Context): Promise<{ token?: string; after?: string }> {
  const body = c.req.method === 'POST' ? await c.req.parseBody() : {}
  const pick = (name: string) => {
    const value = typeof body[name] === 'string' ? (body[name] as string) : c.req.query(name)
    return value === undefined || value === '' ? undefined : value
  }
  return { token: pick('token'), after: pick('after') }
}

/**
 * GET /courses/<course>/next shows one button and changes nothing (link scanners follow every GET);
 * POST sends the reader's next lesson of that course now (once, however often it is pressed).
 */
export function nextLessonRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName

  app.get('/courses/:slug/next', async (c) => {
    const slug = c.req.param('slug')
    const course = deps.content().course(slug)
    const { token, after } = await fields(c)
    const check = verifyToken(deps.config.secret, `next:${slug}`, token, deps.clock.now())
    const index = course?.lessons.findIndex((lesson) => lesson.slug === after) ?? -1
    if (!course || !check.ok || index < 0) return c.html(messagePage(site, 'Link not valid', BAD_LINK), 400)
    const next = course.lessons[index + 1]
    if (!next)
      return c.html(
        messagePage(
          site,
          'Course complete',
          `That was the last lesson of ${course.title}: you have completed it.`,
        ),
      )
    return c.html(
      page({
        title: 'Send the next lesson now?',
        siteName: site,
        body: html`<h1>Send the next lesson now?</h1>
<p>Lesson ${index + 2} of ${course.lessons.length} of <strong>${course.title}</strong>, “${next.title}”, comes within a
minute instead of on its day. The lessons after it keep their spacing from today.</p>
<form method="post" action="/courses/${course.slug}/next">
<input type="hidden" name="token" value="${token}"><input type="hidden" name="after" value="${after}">
<button type="submit">Send me the next lesson now</button></form>
<p class="muted">Changed your mind? Close this page: nothing changes.</p>`,
      }),
    )
  })

  app.post('/courses/:slug/next', async (c) => {
    const slug = c.req.param('slug')
    const { token, after } = await fields(c)
    const result = await nextLessonFromLink(deps.subscribers, token, slug, after)
    const course = deps.content().course(slug)
    const title = course?.title ?? slug
    const lessonTitle = (lesson: string) => course?.lessons.find((l) => l.slug === lesson)?.title ?? lesson
    switch (result.outcome) {
      case 'queued':
        return c.html(
          messagePage(
            site,
            'On its way',
            `“${lessonTitle(result.lesson)}” is on its way to your inbox. The lessons after it keep their spacing from today.`,
          ),
        )
      case 'on-its-way':
        return c.html(
          messagePage(
            site,
            'Already on its way',
            `“${lessonTitle(result.lesson)}” was asked for already: it is on its way, once.`,
          ),
        )
      case 'already-sent':
        return c.html(
          messagePage(
            site,
            'Already sent',
            `“${lessonTitle(result.lesson)}” was sent already: look in your inbox.`,
          ),
        )
      case 'complete':
        return c.html(
          messagePage(site, 'Course complete', `You have completed ${title}: there is no next lesson.`),
        )
      case 'not-running':
        return c.html(
          messagePage(
            site,
            'Not sent',
            `You are not receiving ${title} now. Use "Email preferences" at the bottom of any email to rejoin it.`,
          ),
          400,
        )
      default:
        return c.html(messagePage(site, 'Link not valid', BAD_LINK), 400)
    }
  })
}
