import type { Context, Hono } from 'hono'
import type { Subscriber } from '../../db/rows'
import { type TokenPurpose, verifyToken } from '../../lib/links'
import { unsubscribe, updatePreferences } from '../../subscribers/preferences'
import { findSubscriberById } from '../../subscribers/store'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'

const BAD_LINK = 'This link is not valid. Please use the complete link from the bottom of one of our emails.'

/** The subscriber a token names, if the token is genuine and they still exist. */
export async function subscriberFromToken(
  deps: WebDeps,
  purpose: TokenPurpose,
  token: string | undefined,
): Promise<Subscriber | undefined> {
  const check = verifyToken(deps.config.secret, purpose, token, deps.clock.now())
  if (!check.ok) return undefined
  return findSubscriberById(deps.db, check.subscriberId)
}

async function formFields(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody()
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [key, typeof value === 'string' ? value : '']),
  )
}

/**
 * GET /unsubscribe shows the choices (leave, pause the course, stop only the newsletter) and changes
 * nothing. POST with `List-Unsubscribe=One-Click` (RFC 8058, sent by mail clients) unsubscribes at
 * once; POST from the page carries the chosen action.
 */
export function unsubscribeRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName

  app.get('/unsubscribe', async (c) => {
    const token = c.req.query('token')
    if (token === undefined) {
      return c.html(
        messagePage(
          site,
          'Unsubscribe',
          'To unsubscribe, use the "Unsubscribe" link at the bottom of any email from us: it knows who you are, so you do not need to log in.',
        ),
      )
    }
    const s = await subscriberFromToken(deps, 'unsubscribe', token)
    if (!s) return c.html(messagePage(site, 'Link not valid', BAD_LINK), 400)
    if (s.status !== 'confirmed' && s.status !== 'pending') {
      return c.html(messagePage(site, 'You are unsubscribed', 'This address gets no more emails from us.'))
    }
    return c.html(
      page({
        title: 'Unsubscribe',
        siteName: site,
        body: html`<h1>Unsubscribe?</h1>
<form method="post" action="/unsubscribe" class="card">
<input type="hidden" name="token" value="${token}">
<p>Press the button to stop all emails from us.</p>
<button type="submit" name="action" value="unsubscribe">Unsubscribe from everything</button>
<p class="muted">Or, if you only want fewer emails:</p>
${s.course_paused ? '' : html`<button class="secondary" type="submit" name="action" value="pause">Just pause the course</button>`}
${s.newsletter_opt_in ? html`<button class="secondary" type="submit" name="action" value="newsletter-off">Stop only the newsletter</button>` : ''}
</form>`,
      }),
    )
  })

  app.post('/unsubscribe', async (c) => {
    const fields = await formFields(c)
    const token = c.req.query('token') ?? fields.token
    const oneClick = fields['List-Unsubscribe'] === 'One-Click'
    const s = await subscriberFromToken(deps, 'unsubscribe', token)
    if (!s)
      return oneClick
        ? c.text('Invalid link', 400)
        : c.html(messagePage(site, 'Link not valid', BAD_LINK), 400)
    if (oneClick) {
      await unsubscribe(deps.subscribers, s.id, 'one-click')
      return c.text('Unsubscribed', 200)
    }
    const action = fields.action ?? 'unsubscribe'
    if (action === 'pause') {
      await updatePreferences(deps.subscribers, s.id, { paused: true })
      return c.html(
        messagePage(
          site,
          'Course paused',
          'No more lessons until you resume. Use "Email preferences" at the bottom of any email to resume where you left off.',
        ),
      )
    }
    if (action === 'newsletter-off') {
      await updatePreferences(deps.subscribers, s.id, { newsletter: false })
      return c.html(
        messagePage(
          site,
          'Newsletter off',
          'You will get no more newsletter issues. The course lessons continue.',
        ),
      )
    }
    await unsubscribe(deps.subscribers, s.id, 'page')
    return c.html(
      messagePage(
        site,
        'You are unsubscribed',
        'You will get no more emails from us. Sorry to see you go, and good luck with your decision.',
      ),
    )
  })
}
