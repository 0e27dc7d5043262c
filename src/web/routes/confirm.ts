import type { Hono } from 'hono'
import { verifyToken } from '../../lib/links'
import { confirmSubscription, resendConfirmation } from '../../subscribers/signup'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'

const INVALID =
  'This confirmation link is not valid. It may be incomplete (copy the whole link) or it may have been used for an address that no longer exists.'

async function formToken(c: {
  req: { parseBody(): Promise<Record<string, unknown>> }
}): Promise<string | undefined> {
  const body = await c.req.parseBody()
  return typeof body.token === 'string' ? body.token : undefined
}

/**
 * GET /confirm shows a button and changes nothing (link scanners follow every GET); POST /confirm
 * confirms. A link that cannot confirm answers 400; an expired one gets a page that offers a fresh link.
 */
export function confirmRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName

  app.get('/confirm', (c) => {
    const token = c.req.query('token')
    const check = verifyToken(deps.config.secret, 'confirm', token, deps.clock.now())
    if (!check.ok && check.reason !== 'expired')
      return c.html(messagePage(site, 'Link not valid', INVALID), 400)
    if (!check.ok) return c.html(expiredPage(site, token as string), 400)
    return c.html(
      page({
        title: 'Confirm your subscription',
        siteName: site,
        body: html`<h1>One last step</h1>
<p>Press the button to confirm your address and start the course. The first lesson arrives straight away.</p>
<form method="post" action="/confirm"><input type="hidden" name="token" value="${token}">
<button type="submit">Confirm my subscription</button></form>
<p class="muted">Did not ask for this? Close this page: nothing will be sent to you.</p>`,
      }),
    )
  })

  app.post('/confirm', async (c) => {
    const token = await formToken(c)
    const result = await confirmSubscription(deps.subscribers, token)
    if (!result.ok && result.reason === 'expired') return c.html(expiredPage(site, token as string), 400)
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
    const token = await formToken(c)
    const check = verifyToken(deps.config.secret, 'confirm', token, deps.clock.now())
    // Only a genuine link (expired or not) can ask for a fresh one.
    if (check.ok || check.reason === 'expired') await resendConfirmation(deps.subscribers, check.subscriberId)
    else return c.html(messagePage(site, 'Link not valid', INVALID), 400)
    return c.html(
      messagePage(
        site,
        'A fresh link is on its way',
        'Check your inbox for a new confirmation email. It may take a minute.',
      ),
    )
  })
}

function expiredPage(site: string, token: string): string {
  return page({
    title: 'This link has expired',
    siteName: site,
    body: html`<h1>This link has expired</h1>
<p>Confirmation links work for 7 days. Press the button and we will send you a fresh one.</p>
<form method="post" action="/confirm/resend"><input type="hidden" name="token" value="${token}">
<button type="submit">Send me a new link</button></form>
<p class="muted">Or <a href="/">sign up again</a> with your address.</p>`,
  })
}
