import type { Context, Hono } from 'hono'
import { type TokenPurpose, verifyToken } from '../../lib/links'
import { confirmSubscription, resendConfirmation, startCourseFromLink } from '../../subscribers/confirm'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'

const INVALID =
  'This confirmation link is not valid. It may be incomplete (copy the whole link) or it may have been used for an address that no longer exists.'

/** A form field, or a query parameter (the page's own form posts what its link carried). */
async function fields(c: Context): Promise<{ token?: string; course?: string }> {
  const body = c.req.method === 'POST' ? await c.req.parseBody() : {}
  const pick = (name: string) => {
    const value = typeof body[name] === 'string' ? (body[name] as string) : c.req.query(name)
    return value === undefined || value === '' ? undefined : value
  }
  return { token: pick('token'), course: pick('course') }
}

/**
 * GET /confirm shows a button and changes nothing (link scanners follow every GET); POST /confirm
 * confirms the address and starts the course named in the link. A link that cannot confirm answers 400;
 * an expired one gets a page that offers a fresh link. GET/POST /courses/<slug>/start does the same for
 * starting another course from a reader's own email.
 */
export function confirmRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName
  const titleOf = (course: string | undefined) => (course ? deps.content().course(course)?.title : undefined)

  app.get('/confirm', async (c) => {
    const { token, course } = await fields(c)
    const purpose: TokenPurpose = course ? `confirm:${course}` : 'confirm'
    const check = verifyToken(deps.config.secret, purpose, token, deps.clock.now())
    if (!check.ok && check.reason !== 'expired')
      return c.html(messagePage(site, 'Link not valid', INVALID), 400)
    if (!check.ok) return c.html(expiredPage(site, token as string, course), 400)
    const title = titleOf(course)
    return c.html(
      page({
        title: 'Confirm your subscription',
        siteName: site,
        body: html`<h1>One last step</h1>
<p>Press the button to confirm your address and start ${title ? html`<strong>${title}</strong>` : 'the course'}. The first lesson arrives straight away.</p>
<form method="post" action="/confirm"><input type="hidden" name="token" value="${token}">
${course ? html`<input type="hidden" name="course" value="${course}">` : ''}
<button type="submit">Confirm my subscription</button></form>
<p class="muted">Did not ask for this? Close this page: nothing will be sent to you.</p>`,
      }),
    )
  })

  app.post('/confirm', async (c) => {
    const { token, course } = await fields(c)
    const result = await confirmSubscription(deps.subscribers, token, course)
    if (!result.ok && result.reason === 'expired')
      return c.html(expiredPage(site, token as string, course), 400)
    if (!result.ok) return c.html(messagePage(site, 'Link not valid', INVALID), 400)
    return c.html(
      messagePage(
        site,
        result.alreadyConfirmed ? 'You are already subscribed' : 'You are in',
        result.alreadyConfirmed
          ? 'Your address was confirmed before. Nothing more to do: lessons keep arriving on their days.'
          : 'Thank you for confirming. The first lesson is on its way to your inbox; the next ones follow every few days.',
      ),
    )
  })

  app.post('/confirm/resend', async (c) => {
    const { token, course } = await fields(c)
    const purpose: TokenPurpose = course ? `confirm:${course}` : 'confirm'
    const check = verifyToken(deps.config.secret, purpose, token, deps.clock.now())
    // Only a genuine link (expired or not) can ask for a fresh one.
    if (!check.ok && check.reason !== 'expired')
      return c.html(messagePage(site, 'Link not valid', INVALID), 400)
    await resendConfirmation(deps.subscribers, check.subscriberId, course)
    return c.html(
      messagePage(
        site,
        'A fresh link is on its way',
        'Check your inbox for a new confirmation email. It may take a minute.',
      ),
    )
  })

  app.get('/courses/:slug/start', async (c) => {
    const course = c.req.param('slug')
    const { token } = await fields(c)
    const title = titleOf(course)
    const check = verifyToken(deps.config.secret, `start:${course}`, token, deps.clock.now())
    if (!title || !check.ok)
      return c.html(
        messagePage(
          site,
          'Link not valid',
          check.ok || check.reason !== 'expired'
            ? 'This link is not valid. Please use the complete link from your email.'
            : html`This link has expired. <a href="/courses/${course}">Sign up for the course</a> with your address to get a fresh one.`,
        ),
        400,
      )
    return c.html(
      page({
        title: `Start ${title}?`,
        siteName: site,
        body: html`<h1>Start ${title}?</h1>
<p>Press the button to start the course. The first lesson arrives straight away; your other courses go on as they are.</p>
<form method="post" action="/courses/${course}/start"><input type="hidden" name="token" value="${token}">
<button type="submit">Start ${title}</button></form>
<p class="muted">Did not ask for this? Close this page: nothing changes.</p>`,
      }),
    )
  })

  app.post('/courses/:slug/start', async (c) => {
    const course = c.req.param('slug')
    const { token } = await fields(c)
    const result = await startCourseFromLink(deps.subscribers, token, course)
    const title = titleOf(course) ?? course
    if (!result.ok) {
      const message =
        result.reason === 'not-subscribed'
          ? html`Your address gets no email from us now. <a href="/courses/${course}">Sign up for the course</a> to start it.`
          : result.reason === 'expired'
            ? html`This link has expired. <a href="/courses/${course}">Sign up for the course</a> with your address to get a fresh one.`
            : 'This link is not valid. Please use the complete link from your email.'
      return c.html(messagePage(site, 'Not started', message), 400)
    }
    const said = {
      now: 'The first lesson is on its way to your inbox.',
      resumed: 'It goes on where you left it; the next lesson comes on its day.',
      again: 'It starts again from the first lesson, which is on its way.',
      already: 'You are reading it already: lessons keep arriving on their days.',
    }[result.started]
    return c.html(messagePage(site, result.started === 'already' ? title : `${title}: started`, said))
  })
}

function expiredPage(site: string, token: string, course: string | undefined): string {
  return page({
    title: 'This link has expired',
    siteName: site,
    body: html`<h1>This link has expired</h1>
<p>Confirmation links work for 7 days. Press the button and we will send you a fresh one.</p>
<form method="post" action="/confirm/resend"><input type="hidden" name="token" value="${token}">
${course ? html`<input type="hidden" name="course" value="${course}">` : ''}
<button type="submit">Send me a new link</button></form>
<p class="muted">Or <a href="/">sign up again</a> with your address.</p>`,
  })
}
