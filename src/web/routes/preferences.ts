import type { Hono } from 'hono'
import { resubscribe, unsubscribe, updatePreferences } from '../../subscribers/manage'
import type { Subscriber } from '../../subscribers/store'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'
import { subscriberFromToken } from './unsubscribe'

const BAD_LINK =
  'This link is not valid. Please use the complete "Email preferences" link from one of our emails.'
const ZONES: readonly string[] = [
  'UTC',
  ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC'),
]

function preferencesPage(site: string, token: string, s: Subscriber, notice?: string): string {
  const left = s.status !== 'confirmed' && s.status !== 'pending'
  return page({
    title: 'Email preferences',
    siteName: site,
    body: html`<h1>Email preferences</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<p>For <strong>${s.email}</strong>.</p>
${
  left
    ? html`<form method="post" action="/preferences" class="card"><input type="hidden" name="token" value="${token}">
<p>You are unsubscribed and get no emails from us.</p>
${s.status === 'unsubscribed' ? html`<button type="submit" name="action" value="resubscribe">Resubscribe and continue the course</button>` : html`<p>To subscribe again, <a href="/">sign up</a> and confirm your address.</p>`}
</form>`
    : html`<form method="post" action="/preferences" class="card"><input type="hidden" name="token" value="${token}">
<label for="name">First name</label>
<input id="name" name="name" type="text" maxlength="100" autocomplete="given-name" value="${s.name ?? ''}">
<label for="timezone">Time zone <span class="muted">(lessons arrive in the morning, your time)</span></label>
<select id="timezone" name="timezone">${ZONES.map((zone) => html`<option${zone === s.timezone ? html` selected` : ''}>${zone}</option>`)}</select>
<label class="check"><input type="checkbox" name="newsletter" value="1"${s.newsletter_opt_in ? html` checked` : ''}> Send me the occasional newsletter</label>
<label class="check"><input type="checkbox" name="paused" value="1"${s.course_paused ? html` checked` : ''}> Pause the course (resume any time, where you left off)</label>
<button type="submit" name="action" value="save">Save</button>
<button class="secondary" type="submit" name="action" value="unsubscribe">Unsubscribe from everything</button>
</form>`
}`,
  })
}

/** GET /preferences shows the person's settings; POST saves them, unsubscribes or resubscribes. */
export function preferencesRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName

  app.get('/preferences', async (c) => {
    const token = c.req.query('token')
    if (token === undefined) {
      return c.html(
        messagePage(
          site,
          'Email preferences',
          'Use the "Email preferences" link at the bottom of any email from us to change your settings.',
        ),
      )
    }
    const s = await subscriberFromToken(deps, 'preferences', token)
    if (!s) return c.html(messagePage(site, 'Link not valid', BAD_LINK), 400)
    return c.html(preferencesPage(site, token, s))
  })

  app.post('/preferences', async (c) => {
    const body = await c.req.parseBody()
    const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined)
    const token = field('token')
    const s = await subscriberFromToken(deps, 'preferences', token)
    if (!s || !token) return c.html(messagePage(site, 'Link not valid', BAD_LINK), 400)
    const action = field('action') ?? 'save'
    if (action === 'unsubscribe') {
      const after = await unsubscribe(deps.subscribers, s.id, 'preferences')
      return c.html(
        preferencesPage(site, token, after ?? s, 'You are unsubscribed. No more emails will be sent.'),
      )
    }
    if (action === 'resubscribe') {
      const after = await resubscribe(deps.subscribers, s.id)
      return c.html(
        preferencesPage(site, token, after ?? s, 'Welcome back: the course continues where you left off.'),
      )
    }
    const after = await updatePreferences(deps.subscribers, s.id, {
      name: field('name') ?? '',
      timezone: field('timezone'),
      newsletter: field('newsletter') === '1',
      paused: field('paused') === '1',
    })
    return c.html(preferencesPage(site, token, after ?? s, 'Saved.'))
  })
}
